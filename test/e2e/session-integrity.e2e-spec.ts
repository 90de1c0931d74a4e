import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { setTimeout as sleep } from 'node:timers/promises';
import { EMAIL_FAILURE_LIMIT, FAILURE_WINDOW_SECONDS } from '../../src/auth/credential-throttle.js';
import { Client, signedInClient } from '../../tools/client/client.js';
import { request, type Response } from '../../tools/client/http.js';
import { ownAddress, paceRateLimited, waitForRefill } from '../../tools/client/pace.js';
import { connectRedis, sessionIdOf, type TestRedis } from '../../tools/client/redis.js';
import { describeNative, startTarget, stopTarget, type Target } from '../support/target.js';

/**
 * Session integrity and abuse limits through nginx (docs/sessions.md; docs/security.md). The races are
 * made to happen in the in-process tier (test/integration); this spec shows the same contract as a
 * client meets it.
 */
let target: Target;
beforeAll(async () => {
  // 20 s idle: renewal is due after 2 s, as in the report that found revocations coming back.
  target = await startTarget({ SESSION_IDLE_TIMEOUT: '20s' });
});
afterAll(async () => {
  await stopTarget(target);
});

const COOKIE = '__Host-sid';
const SESSION_EXPIRED = { statusCode: 401, error: 'Unauthorized', message: 'Session expired' };

function expectThrottled(res: Response, message: string): void {
  expect([res.status, res.json()]).toEqual([429, { statusCode: 429, error: 'Too Many Requests', message }]);
  const retryAfter = Number(res.headers['retry-after']);
  expect(retryAfter).toBeGreaterThan(0);
  expect(retryAfter).toBeLessThanOrEqual(FAILURE_WINDOW_SECONDS);
}

describeNative('revocation sticks (native stack: reads Redis)', () => {
  let redis: TestRedis;
  beforeAll(async () => {
    redis = await connectRedis(target.stack!.redisUrl);
  });
  afterAll(async () => {
    await redis.close();
  });

  it('a session that revokes itself while its renewal is due stays revoked: 204, then 401 "Session expired", and no key', async () => {
    const { client } = await signedInClient(target);
    const key = `sess:${sessionIdOf((await client.cookie(COOKIE))!.value)}`;
    await sleep(2_500); // a tenth of the idle window: the next request renews (writes) the session
    const { id } = (await client.get('/api/session')).json<{ id: string }>();
    await sleep(2_500); // and so does the revoking request itself, as its response ends
    expect((await client.delete(`/api/sessions/${id}`)).status).toBe(204);
    expect(await redis.exists(key)).toBe(0);
    const next = await client.get('/api/session');
    expect([next.status, next.json()]).toEqual([401, SESSION_EXPIRED]);
    expect(await redis.exists(key)).toBe(0);
  });

  it('showing the signed-out pages to 100 cookieless visitors writes nothing to Redis', async () => {
    const before = (await redis.keys('sess:*')).length;
    for (let i = 0; i < 100; i++) {
      const res = await request(target.baseUrl, { path: ['/login', '/register', '/forgot-password'][i % 3], ca: target.ca });
      expect(res.status).toBe(200);
      // What the form needs instead: a nonce cookie of its own, nothing server-side.
      expect(res.headers['set-cookie']?.join('\n')).toMatch(/^__Host-csrf=[\w-]{43}; Path=\/; HttpOnly; Secure; SameSite=Lax$/);
    }
    expect((await redis.keys('sess:*')).length).toBe(before);
  });
});

describe('current-password checks are throttled', () => {
  it(`a signed-in session gets ${EMAIL_FAILURE_LIMIT} guesses at the current password, then 429 even with the right one`, async () => {
    const { client, user } = await signedInClient(target);
    const guess = (currentPassword: string) =>
      client.put('/api/profile/password', { currentPassword, newPassword: 'a new passphrase here' });
    for (let i = 0; i < EMAIL_FAILURE_LIMIT; i++) {
      const res = await guess(`wrong guess number ${i}`);
      expect([res.status, res.json()]).toEqual([403, { statusCode: 403, error: 'Forbidden', message: 'Current password is wrong' }]);
    }
    expectThrottled(await guess(user.password), 'Too many wrong passwords; try again later');
    expect((await client.get('/api/profile')).status).toBe(200); // still signed in; only the check is locked
  });
});

describeNative('the login lock is per email and client address (native stack: a second client address)', () => {
  it(`${EMAIL_FAILURE_LIMIT} failures from 127.0.0.2 lock that address out of the email; the owner at 127.0.0.1 still signs in`, async () => {
    const { user } = await signedInClient(target);
    const attacker = new Client(target, undefined, '127.0.0.2');
    for (let i = 0; i < EMAIL_FAILURE_LIMIT; i++) {
      expect((await attacker.post('/api/auth/login', { email: user.email, password: 'not the password!' })).status).toBe(401);
    }
    expectThrottled(
      await attacker.post('/api/auth/login', { email: user.email, password: user.password }),
      'Too many failed logins for this email; try again later',
    );
    expect((await new Client(target).post('/api/auth/login', { email: user.email, password: user.password })).status).toBe(200);
  });
});

describe('edge rules', () => {
  it('the JSON API answers 415 to a body that is not JSON (a form post cannot sign anyone in)', async () => {
    for (const [type, body] of [
      ['application/x-www-form-urlencoded', 'email=a%40example.com&password=correct+horse+battery'],
      ['text/plain', '{"email":"a@example.com","password":"correct horse battery"}'],
      ['multipart/form-data; boundary=x', '--x--'],
    ]) {
      await paceRateLimited();
      const res = await request(target.baseUrl, {
        method: 'POST',
        path: '/api/auth/login',
        body,
        ca: target.ca,
        headers: { origin: target.baseUrl, 'content-type': type },
      });
      expect([type, res.status, res.json()]).toEqual([
        type,
        415,
        { statusCode: 415, error: 'Unsupported Media Type', message: 'Request body must be JSON (Content-Type: application/json)' },
      ]);
    }
  });

  it('nginx answers a Host other than the public one with a JSON 421, and redirects HTTP to the public host', async () => {
    const servername = new URL(target.baseUrl).hostname;
    const res = await request(target.baseUrl, { path: '/api/profile', ca: target.ca, servername, headers: { host: 'evil.example' } });
    expect([res.status, res.headers['content-type'], res.json()]).toEqual([
      421,
      'application/json',
      { statusCode: 421, error: 'Misdirected Request', message: 'This server does not serve that host' },
    ]);
    const httpUrl = target.stack?.httpUrl ?? target.baseUrl.replace('https://', 'http://').replace(/:\d+$/, ':8080');
    const redirect = await request(httpUrl, { path: '/login?x=1', headers: { host: 'evil.example' } });
    expect([redirect.status, redirect.headers.location]).toEqual([308, `${target.baseUrl}/login?x=1`]);
  });

  it("nginx's per-address limit covers password changes too: a burst of PUTs gets JSON 429s", async () => {
    const localAddress = ownAddress(target); // natively, a bucket no other test uses
    const burst = await Promise.all(
      Array.from({ length: 40 }, () =>
        request(target.baseUrl, {
          method: 'PUT',
          path: '/api/profile/password',
          body: {},
          ca: target.ca,
          localAddress,
          headers: { origin: target.baseUrl },
        }),
      ),
    );
    const limited = burst.filter((res) => res.status === 429);
    expect(burst.filter((res) => res.status !== 401 && res.status !== 429)).toEqual([]);
    expect(limited.length).toBeGreaterThanOrEqual(10);
    for (const res of limited) expect(res.json()).toEqual({ statusCode: 429, error: 'Too Many Requests', message: 'Too many requests' });
    // Against a deployment the bucket is the one every client shares, also the next spec file's.
    if (!localAddress) await waitForRefill();
  });
});
