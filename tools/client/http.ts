/**
 * A small HTTP(S) client for the e2e tests: one request, no redirects followed, no connection
 * reuse (so an open keep-alive socket never holds a test run open), and TLS verified against the
 * CA the caller pins (the stack's self-signed certificate), never switched off.
 */
import http, { type IncomingHttpHeaders, type OutgoingHttpHeaders } from 'node:http';
import https from 'node:https';
import { isIPv4 } from 'node:net';

export interface RequestOptions {
  method?: string;
  /** Path and query, e.g. `/api/session?x=1`. */
  path?: string;
  headers?: OutgoingHttpHeaders;
  /** A string or Buffer is sent as is; anything else is sent as JSON (with its Content-Type). */
  body?: unknown;
  /** PEM of the CA to trust for https URLs. */
  ca?: string;
  /** Source address of the connection, e.g. `127.0.0.2` to come from another loopback address. */
  localAddress?: string;
  /** TLS server name to ask for and verify, when the Host header names another (e.g. a 421 test). */
  servername?: string;
  timeoutMs?: number;
}

export interface Response {
  status: number;
  headers: IncomingHttpHeaders;
  /** The raw body, as text. */
  body: string;
  /** The body parsed as JSON; throws if it is not JSON. */
  json<T = unknown>(): T;
}

export function request(baseUrl: string, options: RequestOptions = {}): Promise<Response> {
  const url = new URL(options.path ?? '/', baseUrl);
  const headers: OutgoingHttpHeaders = { ...options.headers };
  let payload: string | Buffer | undefined;
  if (typeof options.body === 'string' || Buffer.isBuffer(options.body)) {
    payload = options.body;
  } else if (options.body !== undefined) {
    payload = JSON.stringify(options.body);
    if (!Object.keys(headers).some((name) => name.toLowerCase() === 'content-type')) {
      headers['content-type'] = 'application/json';
    }
  }
  if (payload !== undefined) headers['content-length'] = Buffer.byteLength(payload);

  const client = url.protocol === 'https:' ? https : http;
  return new Promise((resolve, reject) => {
    const req = client.request(
      url,
      {
        method: options.method ?? 'GET',
        headers,
        ca: options.ca,
        localAddress: options.localAddress,
        // From an IPv4 source address, `localhost` must resolve to 127.0.0.1, never ::1.
        family: options.localAddress && isIPv4(options.localAddress) ? 4 : undefined,
        servername: options.servername,
        agent: false,
        timeout: options.timeoutMs ?? 10_000,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('error', reject);
        res.on('end', () => {
          const body = Buffer.concat(chunks).toString('utf8');
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body, json: <T>() => JSON.parse(body) as T });
        });
      },
    );
    req.on('timeout', () => req.destroy(new Error(`${req.method} ${url.href} timed out`)));
    req.on('error', reject);
    req.end(payload);
  });
}
