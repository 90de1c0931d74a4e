import { afterAll, beforeAll, expect, it } from '@jest/globals';
import http from 'node:http';
import { PortPicker } from '../stack/machine.js';
import { describeNative, startTarget, stopTarget, type Target } from '../support/target.js';

/**
 * The key nginx's per-address limits count by (SPEC §5): IPv4 per address, IPv6 per /64, through
 * a test-only server that takes the client address from a header (this machine has one IPv6
 * loopback address, so other /64s cannot connect for real).
 */

let target: Target;
/** The test-only server below (plain HTTP on 127.0.0.1). */
let keyPort: number;

/**
 * Takes the client address from `X-Test-Client` (realip, trusted from 127.0.0.1 only), then shows
 * the template's key for it (`/key`: its bytes) and its rate-limit key (`/unsafe-key`).
 */
function keyServer(port: number): string {
  return `server {
    listen 127.0.0.1:${port};
    set_real_ip_from 127.0.0.1;
    real_ip_header X-Test-Client;
    location = /key { return 200 $gatehouse_client; }
    location = /unsafe-key { return 200 $gatehouse_unsafe_key; }
}
`;
}

/** A request to the test server as `client`; the body as bytes. */
function fromClient(client: string, path: string, method = 'GET'): Promise<{ status: number; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      { host: '127.0.0.1', port: keyPort, path, method, agent: false, headers: { 'x-test-client': client } },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks) }));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end();
  });
}

describeNative('nginx: per-address keys (native stack: adds a test-only server)', () => {
  beforeAll(async () => {
    keyPort = await new PortPicker().pick(undefined, 'nginx test server');
    target = await startTarget({}, { nginxExtraConf: keyServer(keyPort) });
  });
  afterAll(async () => {
    await stopTarget(target);
  });

  it.each([
    ['198.51.100.7', 'c6336407'],
    ['::ffff:198.51.100.7', 'c6336407'], // IPv4-mapped: the IPv4 address
    ['2001:db8:1:2::1', '20010db800010002'],
    ['2001:db8:1:2:aaaa:bbbb:cccc:dddd', '20010db800010002'],
    ['2001:db8:1:3::1', '20010db800010003'],
    ['::1', '0000000000000000'],
  ])('counts %s as the client %s (IPv4 per address, IPv6 per /64)', async (client, key) => {
    const res = await fromClient(client, '/key');
    expect([res.status, res.body.toString('hex')]).toEqual([200, key]);
    // The rate limit's key: the same for an unsafe method, none for a safe one.
    expect((await fromClient(client, '/unsafe-key', 'POST')).body.toString('hex')).toBe(key);
    expect((await fromClient(client, '/unsafe-key')).body.toString('hex')).toBe('');
  });
});
