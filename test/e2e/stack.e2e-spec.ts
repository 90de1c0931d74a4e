/**
 * The edge and the harness itself: what nginx (nginx/templates/default.conf.template) does in
 * front of the app, and that the stack leaves nothing behind. The app's own behaviour is in the
 * other specs.
 */
import { describe, it, expect, beforeAll, afterAll } from '@jest/globals';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import tls from 'node:tls';
import { startStack, type Stack } from '../../tools/stack/stack.js';
import { request } from '../../tools/client/http.js';

const NGINX_REQUEST_ID = /^[0-9a-f]{32}$/;

describe('nginx in front of the app', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({});
  });
  afterAll(async () => {
    await stack?.stop();
  });
  const get = (urlPath: string, headers: Record<string, string> = {}) =>
    request(stack.baseUrl, { path: urlPath, headers, ca: stack.caCert });

  it('redirects plain HTTP with 308 to HTTPS, keeping the path and query', async () => {
    const res = await request(stack.httpUrl, { path: '/login?next=%2Fprofile&x=1' });

    expect(res.status).toBe(308);
    expect(res.headers.location).toBe(`${stack.baseUrl}/login?next=%2Fprofile&x=1`);
    expect(res.headers['strict-transport-security']).toBeUndefined(); // meaningless over HTTP
  });

  it('serves /healthz over HTTPS with HSTS, a versionless Server header and no X-Powered-By', async () => {
    const res = await get('/healthz');

    expect(res.status).toBe(200);
    expect(res.json()).toEqual({ status: 'ok' });
    expect(res.headers['strict-transport-security']).toBe('max-age=31536000');
    expect(res.headers.server).toBe('nginx');
    expect(res.headers['x-powered-by']).toBeUndefined();
  });

  it.each([
    ['a well-formed client id', 'abc-123.DEF_4', 'abc-123.DEF_4'],
    ['64 characters', 'a'.repeat(64), 'a'.repeat(64)],
    ['65 characters', 'a'.repeat(65), NGINX_REQUEST_ID],
    ['spaces and markup', 'bad id<script>', NGINX_REQUEST_ID],
    ['a header-splitting attempt', 'x%0d%0aSet-Cookie:a=b', NGINX_REQUEST_ID],
    ['no client id', undefined, NGINX_REQUEST_ID],
  ])('returns an X-Request-Id for %s', async (_case, given, expected) => {
    const res = await get('/healthz', given === undefined ? {} : { 'x-request-id': given });

    expect(res.status).toBe(200);
    if (typeof expected === 'string') expect(res.headers['x-request-id']).toBe(expected);
    else expect(res.headers['x-request-id']).toMatch(expected);
  });

  it.each(['TLSv1.2', 'TLSv1.3'] as const)('accepts %s', async (version) => {
    await expect(handshake(stack, { minVersion: version, maxVersion: version })).resolves.toBe(version);
  });

  it('refuses TLS 1.1, which this client does speak', async () => {
    // OpenSSL 3 disables TLS 1.1 at its default security level: lower it, and prove on a local
    // server that the client really offers TLS 1.1, so the refusal below is nginx's doing.
    const tls11 = { minVersion: 'TLSv1.1', maxVersion: 'TLSv1.1', ciphers: 'DEFAULT@SECLEVEL=0' } as const;
    const key = readFileSync(path.join(stack.dir, 'tls/key.pem'));
    const control = tls.createServer({ key, cert: stack.caCert, ...tls11 }, (socket) => socket.end());
    await new Promise<void>((resolve) => control.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = control.address() as net.AddressInfo;
      await expect(handshake(stack, tls11, port)).resolves.toBe('TLSv1.1');
    } finally {
      control.close();
    }

    await expect(handshake(stack, tls11)).rejects.toThrow(/protocol version|unsupported protocol/i);
  });

  it('rate-limits POST to login per address with a JSON 429, and never limits GET', async () => {
    // burst=20 with nodelay: 21 at once pass, the rest of a simultaneous batch of 40 does not.
    const posts = await Promise.all(
      Array.from({ length: 40 }, () => request(stack.baseUrl, { method: 'POST', path: '/api/auth/login', body: {}, ca: stack.caCert })),
    );
    const limited = posts.filter((res) => res.status === 429 && res.headers['retry-after'] === '1');
    expect(limited.length).toBeGreaterThanOrEqual(10);
    for (const res of limited) {
      expect(res.headers['content-type']).toBe('application/json');
      expect(res.json()).toEqual({ statusCode: 429, error: 'Too Many Requests', message: 'Too many requests' });
      expect(res.headers['strict-transport-security']).toBe('max-age=31536000');
      expect(res.headers['x-request-id']).toMatch(NGINX_REQUEST_ID);
    }

    const gets = await Promise.all(Array.from({ length: 40 }, () => get('/login')));
    expect(gets.map((res) => res.status).filter((status) => status === 429)).toEqual([]);
  });

  it('answers a JSON 502 while the app is down, and serves again once it is back', async () => {
    await stack.stopApp(0);
    try {
      const res = await get('/healthz');

      expect(res.status).toBe(502);
      expect(res.headers['content-type']).toBe('application/json');
      expect(res.json()).toEqual({ statusCode: 502, error: 'Bad Gateway', message: 'Upstream unavailable' });
      expect(res.headers['strict-transport-security']).toBe('max-age=31536000');
    } finally {
      await stack.startApp(0);
    }
    expect((await get('/healthz')).status).toBe(200);
  });
});

describe('stack.stop()', () => {
  it('leaves no process, no listening port and no temp dir behind, and can be called twice', async () => {
    const stack = await startStack({ appInstances: 2 });
    const ports = [
      stack.baseUrl,
      stack.httpUrl,
      stack.databaseUrl,
      stack.redisUrl,
      stack.mailUrl,
      stack.appEnv.SMTP_URL,
      ...stack.appUrls,
    ].map((url) => Number(new URL(url).port));
    expect(await Promise.all(ports.map(isListening))).toEqual(ports.map(() => true));

    await stack.stop();
    await stack.stop();

    expect(await Promise.all(ports.map(isListening))).toEqual(ports.map(() => false));
    expect(existsSync(stack.dir)).toBe(false);
    expect(processesOf(stack)).toEqual([]);
  });
});

/** Completes a TLS handshake with nginx (or `port`) and resolves with the negotiated protocol. */
function handshake(stack: Stack, options: tls.ConnectionOptions, port = Number(new URL(stack.baseUrl).port)): Promise<string | null> {
  return new Promise((resolve, reject) => {
    const socket = tls.connect({ host: 'localhost', port, servername: 'localhost', ca: stack.caCert, ...options }, () => {
      resolve(socket.getProtocol());
      socket.end();
    });
    socket.on('error', reject);
  });
}

function isListening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: '127.0.0.1', port });
    socket.on('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.on('error', () => resolve(false));
  });
}

/**
 * Running processes that belong to `stack`: Postgres and nginx name its temp dir on their command
 * line, the app instances (and migrations) carry its unique SESSION_SECRET in their environment.
 * Redis renames its process title, so only the closed port above speaks for it.
 */
function processesOf(stack: Stack): string[] {
  const secret = `SESSION_SECRET=${stack.appEnv.SESSION_SECRET}\0`;
  const found: string[] = [];
  for (const pid of readdirSync('/proc').filter((name) => /^\d+$/.test(name))) {
    try {
      const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
      if (cmdline.includes(stack.dir) || readFileSync(`/proc/${pid}/environ`, 'utf8').includes(secret)) {
        found.push(`${pid}: ${cmdline.replaceAll('\0', ' ')}`);
      }
    } catch {
      // exited while we looked, or not ours to read
    }
  }
  return found;
}
