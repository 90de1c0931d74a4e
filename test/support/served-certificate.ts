import tls from 'node:tls';

/**
 * The certificate a stack serves on `port`, as PEM: fetched once without verification, only to
 * pin it for every request after (the stacks these specs start make their own self-signed one).
 */
export function servedCertificate(port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = tls.connect({ port, host: '127.0.0.1', servername: 'localhost', rejectUnauthorized: false }, () => {
      const cert = socket.getPeerCertificate().raw.toString('base64');
      socket.end();
      resolve(`-----BEGIN CERTIFICATE-----\n${cert.match(/.{1,64}/g)!.join('\n')}\n-----END CERTIFICATE-----\n`);
    });
    socket.once('error', reject);
  });
}
