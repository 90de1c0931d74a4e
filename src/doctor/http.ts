import http, { type IncomingHttpHeaders, type OutgoingHttpHeaders } from 'node:http';
import https from 'node:https';

export interface TlsOptions {
  /** PEM to trust instead of the system's CAs (a self-signed certificate). */
  ca?: string;
  /** Do not verify the certificate at all. */
  insecure?: boolean;
}

export interface Answer {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
  /** Each Set-Cookie line, as a browser receives them. */
  setCookies: string[];
}

const TIMEOUT_MS = 10_000;

/**
 * One request, no redirect followed (the doctor looks at redirects themselves), no connection
 * kept, a JSON body sent as a browser's fetch sends it.
 */
export function send(
  url: URL,
  options: TlsOptions & { method?: string; headers?: OutgoingHttpHeaders; json?: unknown } = {},
): Promise<Answer> {
  const headers: OutgoingHttpHeaders = { 'user-agent': 'gatehouse-doctor', ...options.headers };
  const payload = options.json === undefined ? undefined : JSON.stringify(options.json);
  if (payload !== undefined) {
    headers['content-type'] = 'application/json';
    headers['content-length'] = Buffer.byteLength(payload);
  }
  const client = url.protocol === 'https:' ? https : http;
  return new Promise((resolve, reject) => {
    const req = client.request(
      url,
      {
        method: options.method ?? 'GET',
        headers,
        agent: false,
        timeout: TIMEOUT_MS,
        ca: options.ca,
        rejectUnauthorized: !options.insecure,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('error', reject);
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            body: Buffer.concat(chunks).toString('utf8'),
            setCookies: res.headers['set-cookie'] ?? [],
          }),
        );
      },
    );
    req.on('timeout', () => req.destroy(Object.assign(new Error('no answer within 10 s'), { code: 'ETIMEDOUT' })));
    req.on('error', reject);
    req.end(payload);
  });
}

/** The `message` of a JSON error body (`{statusCode, error, message}`), else a short excerpt. */
export function messageOf(answer: Answer): string {
  try {
    const message = (JSON.parse(answer.body) as { message?: unknown }).message;
    if (message !== undefined) return Array.isArray(message) ? message.join('; ') : String(message);
  } catch {
    // not JSON: an HTML error page from a proxy, say
  }
  return answer.body.replace(/\s+/g, ' ').trim().slice(0, 80);
}
