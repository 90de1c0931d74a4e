import { afterAll, beforeAll, expect, it } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import { Client, newUser } from '../../tools/client/client.js';
import type { Response } from '../../tools/client/http.js';
import { sessionIdOf } from '../../tools/client/redis.js';
import { eventually } from '../support/eventually.js';
import { describeNative, startTarget, stopTarget, type Target } from '../support/target.js';

const COOKIE = '__Host-sid';

interface RequestLine {
  req: { id: string; method: string; path: string };
  res: { statusCode: number };
  responseTime: number;
}

/** pino-http's line for this request id, once the app has written it (logs arrive asynchronously). */
function requestLine(target: Target, id: string): Promise<RequestLine> {
  return eventually(
    `the request line for ${id} in the app logs`,
    () =>
      target
        .stack!.appLogs()
        .split('\n')
        .filter((line) => line.includes(id))
        .map((line) => JSON.parse(line) as Partial<RequestLine>)
        .find((entry): entry is RequestLine => entry.req?.id === id && entry.res !== undefined),
    { timeoutMs: 5_000 },
  );
}

/** The app's logs are only readable on the native stack. */
describeNative('request logs (native stack: reads the app output)', () => {
  let target: Target;
  beforeAll(async () => {
    target = await startTarget();
  });
  afterAll(async () => {
    await stopTarget(target);
  });

  it('does not log liveness probes', async () => {
    const id = `probe-${randomUUID()}`;
    const after = `after-${randomUUID()}`;
    expect((await new Client(target).get('/healthz', { 'x-request-id': id })).status).toBe(200);
    expect((await new Client(target).get('/readyz', { 'x-request-id': after })).status).toBe(200);
    // The app writes its lines in order: once the later request's line is there, the probe's
    // would be too. Without this, a line still on its way would make the check pass.
    await requestLine(target, after);
    expect(target.stack!.appLogs()).not.toContain(id);
  });

  it("logs the X-Request-Id nginx passes on (the client's when well-formed, else nginx's own) and returns it", async () => {
    const c = new Client(target);
    const mine = `e2e-${randomUUID()}`;
    const kept = await c.get('/readyz', { 'x-request-id': mine });
    expect(kept.headers['x-request-id']).toBe(mine);
    expect(await requestLine(target, mine)).toEqual({
      req: { id: mine, method: 'GET', path: '/readyz' },
      res: { statusCode: 200 },
      responseTime: expect.any(Number),
      level: 30,
      time: expect.any(Number),
      pid: expect.any(Number),
      hostname: expect.any(String),
      msg: 'request completed',
    });

    for (const given of [undefined, 'has spaces and ;', 'x'.repeat(65)]) {
      const res = await c.get('/api/profile', given === undefined ? {} : { 'x-request-id': given });
      const id = res.headers['x-request-id'] as string;
      expect(id).toMatch(/^[0-9a-f]{32}$/); // nginx's $request_id
      expect(await requestLine(target, id)).toMatchObject({
        req: { method: 'GET', path: '/api/profile' },
        res: { statusCode: 401 },
      });
    }
  });

  it('a whole visit leaves no password, cookie, session id, Authorization or secret in any log line', async () => {
    const c = new Client(target);
    const user = newUser({ password: `first-${randomUUID()}` });
    const newPassword = `second-${randomUUID()}`;
    const bearer = `bearer-${randomUUID()}`;
    const queryToken = `query-${randomUUID()}`;
    const cookies = new Set<string>();
    const ids: string[] = [];
    const send = async (method: string, path: string, body: unknown, status: number): Promise<Response> => {
      const id = `e2e-${randomUUID()}`;
      ids.push(id);
      const res = await c.send(method, path, body, { 'x-request-id': id, authorization: `Bearer ${bearer}` });
      expect([method, path, res.status]).toEqual([method, path, status]);
      const cookie = await c.cookie(COOKIE);
      if (cookie?.value) cookies.add(cookie.value);
      return res;
    };

    await send('POST', '/api/auth/register', user, 201);
    await send('POST', '/api/auth/login', { email: user.email, password: `${user.password}-wrong` }, 401);
    await send('POST', '/api/auth/login', { email: user.email, password: user.password }, 200);
    await send('GET', `/api/profile?token=${queryToken}`, undefined, 200);
    await send('GET', '/api/session', undefined, 200);
    await send('GET', '/api/sessions', undefined, 200);
    await send('PUT', '/api/profile/password', { currentPassword: 'wrong', newPassword }, 403);
    await send('PUT', '/api/profile/password', { currentPassword: user.password, newPassword }, 204);
    await send('GET', '/api/profile', undefined, 200);
    await send('POST', '/api/auth/logout', undefined, 204);
    await send('POST', '/api/auth/login', { email: user.email, password: newPassword, rememberMe: true }, 200);
    await send('POST', '/api/auth/logout', undefined, 204);
    // The session after logout is gone: its (signed, still valid-looking) cookie gets 401.
    const stale = [...cookies].at(-1)!;
    await c.jar.setCookie(`${COOKIE}=${stale}; Secure; Path=/`, target.baseUrl);
    await send('GET', '/api/profile', undefined, 401);

    // One line per request, with method, path (no query string), status and latency.
    for (const id of ids) {
      const line = await requestLine(target, id);
      expect(line.req).toEqual({ id, method: expect.any(String), path: expect.stringMatching(/^\/api\//) });
      expect(line.res.statusCode).toBeGreaterThanOrEqual(200);
      expect(line.responseTime).toEqual(expect.any(Number));
    }

    expect(cookies.size).toBeGreaterThanOrEqual(3); // register, login, password change, login again
    const secrets = target.stack!.appEnv.SESSION_SECRET.split(',');
    const keys = target.stack!.appEnv.DATA_ENCRYPTION_KEY.split(',');
    const forbidden: [string, string][] = [
      ['the first password', user.password],
      ['the new password', newPassword],
      ['the Authorization header', bearer],
      ['a query-string token', queryToken],
      ...secrets.map((secret): [string, string] => ['SESSION_SECRET', secret]),
      ...keys.map((key): [string, string] => ['DATA_ENCRYPTION_KEY', key]),
      ...[...cookies].flatMap((value): [string, string][] => [
        ['a session cookie value', value],
        ['a session cookie value, decoded', decodeURIComponent(value)],
        ['a session id', sessionIdOf(value)],
      ]),
    ];
    const logs = target.stack!.appLogs();
    expect(logs.length).toBeGreaterThan(0);
    const found = forbidden.filter(([, value]) => logs.includes(value)).map(([what]) => what);
    expect(found).toEqual([]);
  });
});
