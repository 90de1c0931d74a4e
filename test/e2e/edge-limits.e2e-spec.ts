import { afterAll, beforeAll, expect, it } from '@jest/globals';
import http from 'node:http';
import net from 'node:net';
import tls from 'node:tls';
import { PortPicker } from '../../tools/stack/machine.js';
import { request } from '../../tools/client/http.js';
import { eventually } from '../support/eventually.js';
import { describeNative, startTarget, stopTarget, type Target } from '../support/target.js';

/**
 * What one client address can hold of nginx (docs/security.md, Slow clients): requests
 * that never finish sending their headers or their body, from one loopback address, while a
 * client on another address is served. Then the key the per-address limits count by, IPv6 per
 * /64, through a test-only server that takes the client address from a header (this machine has
 * one IPv6 loopback address, so other /64s cannot connect for real).
 */

/** More half-sent requests than nginx's default 512 worker_connections can hold (about 500 fill them). */
const HALF_SENT_HEADERS = 600;
/** nginx's `limit_conn gatehouse_conn` in the template. */
const REQUESTS_PER_ADDRESS = 100;
/** Beyond client_header_timeout/client_body_timeout (10 s), well before nginx's defaults (60 s). */
const CLOSED_WITHIN_MS = 25_000;

let target: Target;
/** The test-only server below (plain HTTP on 127.0.0.1). */
let keyPort: number;

/**
 * Takes the client address from `X-Test-Client` (realip, trusted from 127.0.0.1 only), then shows
 * the template's key for it (`/key`: its bytes), holds a request open under the template's
 * connection zone with a limit of 1 (`/hold`), and answers any other request with its rate-limit
 * key (the method and path decide whether it has one).
 */
function keyServer(port: number): string {
  return `server {
    listen 127.0.0.1:${port};
    set_real_ip_from 127.0.0.1;
    real_ip_header X-Test-Client;
    location = /key { return 200 $gatehouse_client; }
    location = /hold {
        limit_conn gatehouse_conn 1;
        limit_conn_status 429;
        proxy_pass http://gatehouse_app/healthz;
    }
    location / { return 200 $gatehouse_limited_key; }
}
`;
}

/** A connection that has sent `head` and stays open until nginx closes it, or the test does. */
interface Held {
  /** What nginx sent so far. */
  received(): string;
  /** Set once closed, whoever closed it. */
  isClosed(): boolean;
  closed: Promise<void>;
  destroy(): void;
}

/**
 * Opens a connection (`tls` to nginx's HTTPS port, or plain to the test server), writes `head`
 * once connected and resolves; rejects when it cannot connect within 5 s.
 */
function hold(connect: () => net.Socket, secure: boolean, head: string): Promise<Held> {
  return new Promise((resolve, reject) => {
    const socket = connect();
    const chunks: Buffer[] = [];
    let closed = false;
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error('not connected within 5 s'));
    }, 5_000);
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.on('error', () => {}); // 'close' follows
    const closedPromise = new Promise<void>((done) =>
      socket.once('close', () => {
        closed = true;
        clearTimeout(timer);
        reject(new Error('closed before it was connected')); // no-op once resolved
        done();
      }),
    );
    socket.once(secure ? 'secureConnect' : 'connect', () => {
      clearTimeout(timer);
      socket.write(head);
      resolve({
        received: () => Buffer.concat(chunks).toString('latin1'),
        isClosed: () => closed,
        closed: closedPromise,
        destroy: () => socket.destroy(),
      });
    });
  });
}

/**
 * `count` connections from `localAddress` to nginx's HTTPS port, one after the other: each has
 * sent its bytes before the next connects. nginx, out of connections, closes those that have sent
 * nothing yet to make room ("reusing connections"), so opened all at once the flood would partly
 * close itself; one by one, every connection it holds is one that it cannot take back.
 */
async function holdMany(count: number, localAddress: string, head: string): Promise<{ held: Held[]; failed: number }> {
  const port = Number(new URL(target.baseUrl).port);
  // tls.connect takes no source address: the TCP connection is made first, from that address.
  const connect = () =>
    tls.connect({ socket: net.connect({ host: '127.0.0.1', port, localAddress }), servername: 'localhost', ca: target.ca });
  const held: Held[] = [];
  let failed = 0;
  for (let i = 0; i < count; i++) {
    const opened = await hold(connect, true, head).catch(() => undefined);
    if (opened) held.push(opened);
    else failed++;
  }
  return { held, failed };
}

/** Waits until every one is closed, for at most `ms`; resolves with how many are still open. */
async function stillOpenAfter(held: Held[], ms: number): Promise<number> {
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([Promise.all(held.map((h) => h.closed)), new Promise((resolve) => (timer = setTimeout(resolve, ms)))]);
  clearTimeout(timer);
  return held.filter((h) => !h.isClosed()).length;
}

/** A GET /healthz through nginx from `localAddress`, with its latency. */
async function healthzFrom(localAddress: string): Promise<{ status: number | string; ms: number }> {
  const start = performance.now();
  const status = await request(target.baseUrl, { path: '/healthz', ca: target.ca, localAddress, timeoutMs: 5_000 }).then(
    (res) => res.status,
    (error: Error) => error.message,
  );
  return { status, ms: Math.round(performance.now() - start) };
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

describeNative('nginx: what one address can hold (native stack: needs loopback addresses)', () => {
  beforeAll(async () => {
    keyPort = await new PortPicker().pick(undefined, 'nginx test server');
    target = await startTarget({}, { nginxExtraConf: keyServer(keyPort) });
  });
  afterAll(async () => {
    await stopTarget(target);
  });

  it(`${HALF_SENT_HEADERS} half-sent headers from one address: another address gets its 200 at once, and nginx closes them within seconds`, async () => {
    // A TLS handshake and an unfinished header: nginx waits for the rest, holding a connection.
    const { held, failed } = await holdMany(
      HALF_SENT_HEADERS,
      '127.0.0.50',
      'GET /healthz HTTP/1.1\r\nHost: localhost\r\nUser-Agent: slow',
    );
    try {
      const other = await healthzFrom('127.0.0.51');
      expect({ held: held.length, failed, other: other.status }).toEqual({ held: HALF_SENT_HEADERS, failed: 0, other: 200 });
      // nginx ends them itself (client_header_timeout), without an answer.
      expect(await stillOpenAfter(held, CLOSED_WITHIN_MS)).toBe(0);
      expect(held.filter((h) => h.received() !== '')).toEqual([]);
    } finally {
      for (const h of held) h.destroy();
    }
  });

  it(`half-sent bodies from one address: ${REQUESTS_PER_ADDRESS} are held, the rest and its next requests answer a JSON 429 at once, others are served; nginx closes them within seconds`, async () => {
    const extra = 20;
    const head = [
      'POST /api/auth/logout HTTP/1.1',
      'Host: localhost',
      `Origin: ${target.baseUrl}`,
      'Content-Type: application/json',
      'Content-Length: 100',
      '',
      '{"partial":',
    ].join('\r\n');
    const { held, failed } = await holdMany(REQUESTS_PER_ADDRESS + extra, '127.0.0.52', head);
    try {
      expect(failed).toBe(0);
      const answered = () => held.filter((h) => h.received() !== '');
      await eventually(`nginx to answer the ${extra} requests past the limit`, () => answered().length >= extra, { timeoutMs: 5_000 });
      expect(answered().length).toBe(extra);
      for (const h of answered()) {
        expect(h.received()).toMatch(/^HTTP\/1\.1 429 /);
        expect(h.received()).toContain('\r\nRetry-After: 1\r\n');
        expect(h.received()).toContain('{"statusCode":429,"error":"Too Many Requests","message":"Too many requests"}');
      }
      expect((await healthzFrom('127.0.0.52')).status).toBe(429);
      expect((await healthzFrom('127.0.0.53')).status).toBe(200);
      // The held ones: nginx ends them (client_body_timeout), the JSON 429s too (lingering close).
      expect(await stillOpenAfter(held, CLOSED_WITHIN_MS)).toBe(0);
    } finally {
      for (const h of held) h.destroy();
    }
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
    // The rate limit's key: the same for a rate-limited request, none for a safe one.
    expect((await fromClient(client, '/api/auth/login', 'POST')).body.toString('hex')).toBe(key);
    expect((await fromClient(client, '/api/auth/login')).body.toString('hex')).toBe('');
  });

  it("shares the connection zone's count within an IPv6 /64 (and per IPv4 address), not across /64s", async () => {
    const head = (client: string) => `POST /hold HTTP/1.1\r\nHost: localhost\r\nX-Test-Client: ${client}\r\nContent-Length: 10\r\n\r\n{`;
    const connect = () => net.connect({ host: '127.0.0.1', port: keyPort });
    const held = [await hold(connect, false, head('2001:db8:1:2::1')), await hold(connect, false, head('198.51.100.7'))];
    try {
      // Each held request counts once nginx has read its headers: until a request from the very
      // same address is refused, the others' answers would prove nothing.
      for (const client of ['2001:db8:1:2::1', '198.51.100.7']) {
        await eventually(`the request held for ${client} to be counted`, async () => (await fromClient(client, '/hold')).status === 429, {
          timeoutMs: 5_000,
        });
      }
      const statuses: Record<string, number> = {};
      for (const client of ['2001:db8:1:2::ffff', '::ffff:198.51.100.7', '2001:db8:1:3::1', '198.51.100.8']) {
        statuses[client] = (await fromClient(client, '/hold')).status;
      }
      expect(statuses).toEqual({
        '2001:db8:1:2::ffff': 429,
        '::ffff:198.51.100.7': 429,
        '2001:db8:1:3::1': 200,
        '198.51.100.8': 200,
      });
    } finally {
      for (const h of held) h.destroy();
    }
  });
});
