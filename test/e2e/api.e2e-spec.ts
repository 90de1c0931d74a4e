import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Client, INVALID_REGISTRATIONS, newUser, signedInClient } from '../../tools/client/client.js';
import { request } from '../../tools/client/http.js';
import { connectRedis, sessionIdOf, type TestRedis } from '../../tools/client/redis.js';
import { describeNative, startTarget, stopTarget, type Target } from '../support/target.js';

const COOKIE = '__Host-sid';
const userJson = (email: string, displayName: string) => ({
  id: expect.any(String),
  email,
  displayName,
  createdAt: expect.any(String),
  lastLoginAt: expect.any(String),
  emailVerifiedAt: null, // until the mailed link is followed (account-recovery.e2e-spec.ts)
});

let target: Target;
/** Every response body any test saw: none may ever contain a password hash. */
const bodies: string[] = [];

beforeAll(async () => {
  target = await startTarget();
});
afterAll(async () => {
  await stopTarget(target);
});

/** A client that records the bodies it receives. */
function client(): Client {
  const c = new Client(target);
  const send = c.send.bind(c);
  c.send = async (...args) => {
    const res = await send(...args);
    bodies.push(res.body);
    return res;
  };
  return c;
}

function attributesOf(setCookie: string): { name: string; attributes: string[] } {
  const [pair, ...attributes] = setCookie.split(';').map((part) => part.trim());
  return { name: pair.slice(0, pair.indexOf('=')), attributes: attributes.sort() };
}

describe('POST /api/auth/register', () => {
  it('creates the user, answers 201 with the user and starts a session with the production cookie', async () => {
    const c = client();
    const user = newUser({ email: `Mixed.Case-${Date.now()}@Example.COM` });
    const res = await c.post('/api/auth/register', user);
    expect(res.status).toBe(201);
    expect(res.json()).toEqual(userJson(user.email.toLowerCase(), user.displayName));
    expect(res.setCookies).toHaveLength(1);
    process.stdout.write(`Set-Cookie checked through nginx: ${res.setCookies[0].replace(/=s%3A[^;]+/, '=s%3A<id.signature>')}\n`);
    expect(attributesOf(res.setCookies[0])).toEqual({
      name: COOKIE,
      attributes: ['HttpOnly', 'Path=/', 'SameSite=Lax', 'Secure'],
    });
    expect(await c.cookie(COOKIE)).toMatchObject({ secure: true, httpOnly: true, path: '/', sameSite: 'lax' });
    expect((await c.get('/api/profile')).status).toBe(200);
  });

  it('answers 409 for an email already taken, in any letter case', async () => {
    const { user } = await signedInClient(target);
    const res = await client().post('/api/auth/register', { ...newUser(), email: user.email.toUpperCase() });
    expect(res.status).toBe(409);
    expect(res.json()).toEqual({ statusCode: 409, error: 'Conflict', message: 'Email is already registered' });
  });

  it.each(INVALID_REGISTRATIONS)('answers 400 for %s', async (_case, change, message) => {
    const res = await client().post('/api/auth/register', { ...newUser(), ...change });
    expect(res.status).toBe(400);
    expect(res.json()).toEqual({ statusCode: 400, error: 'Bad Request', message });
    expect(res.setCookies).toEqual([]);
  });

  it('answers 400 JSON for a malformed body and 413 JSON over 16 KiB', async () => {
    const malformed = await client().post('/api/auth/register', '{"email":', { 'content-type': 'application/json' });
    expect(malformed.status).toBe(400);
    expect(malformed.json()).toEqual({ statusCode: 400, error: 'Bad Request', message: 'Request body is not valid JSON' });
    const big = await client().post('/api/auth/register', { ...newUser(), displayName: 'x'.repeat(17 * 1024) });
    expect(big.status).toBe(413);
    expect(big.json()).toEqual({ statusCode: 413, error: 'Payload Too Large', message: 'Request body exceeds 16 KiB' });
  });
});

describe('POST /api/auth/login', () => {
  it('answers 200 with the user on a new session id; the old id is dead (no fixation)', async () => {
    const { client: c, user } = await signedInClient(target);
    const before = (await c.cookie(COOKIE))!.value;
    const res = await c.post('/api/auth/login', { email: user.email.toUpperCase(), password: user.password });
    expect(res.status).toBe(200);
    expect(res.json()).toEqual(userJson(user.email, user.displayName));
    const after = (await c.cookie(COOKIE))!.value;
    expect(sessionIdOf(after)).not.toBe(sessionIdOf(before));

    const attacker = client();
    await attacker.jar.setCookie(`${COOKIE}=${before}; Secure; Path=/`, target.baseUrl);
    const stale = await attacker.get('/api/profile');
    expect(stale.status).toBe(401);
    expect(stale.json()).toEqual({ statusCode: 401, error: 'Unauthorized', message: 'Session expired' });
  });

  it('answers the same 401 for a wrong password and for an unknown email', async () => {
    const { user } = await signedInClient(target);
    const wrong = await client().post('/api/auth/login', { email: user.email, password: 'wrong password!' });
    const unknown = await client().post('/api/auth/login', { email: newUser().email, password: 'wrong password!' });
    const expected = { statusCode: 401, error: 'Unauthorized', message: 'Invalid email or password' };
    expect([wrong.status, wrong.json()]).toEqual([401, expected]);
    expect([unknown.status, unknown.json()]).toEqual([401, expected]);
    expect(wrong.setCookies).toEqual([]);
  });

  it.each([
    ['no body', undefined, ['email must be an email address', 'password must be a string']],
    ['a bad email', { email: 'x', password: 'p' }, ['email must be an email address']],
    ['no password', { email: 'a@example.com' }, ['password must be a string']],
    ['a non-boolean rememberMe', { email: 'a@example.com', password: 'p', rememberMe: 'yes' }, ['rememberMe must be a boolean value']],
  ])('answers 400 for %s', async (_case, body, message) => {
    const res = await client().post('/api/auth/login', body);
    expect(res.status).toBe(400);
    expect(res.json()).toEqual({ statusCode: 400, error: 'Bad Request', message });
  });
});

describe('profile', () => {
  it('GET /api/profile answers 401 "Not authenticated" without a cookie or with a forged one', async () => {
    const anonymous = await client().get('/api/profile');
    expect([anonymous.status, anonymous.json()]).toEqual([401, { statusCode: 401, error: 'Unauthorized', message: 'Not authenticated' }]);
    const forger = client();
    await forger.jar.setCookie(`${COOKIE}=s%3Aforged.badsignature; Secure; Path=/`, target.baseUrl);
    const forged = await forger.get('/api/profile');
    expect(forged.json()).toEqual({ statusCode: 401, error: 'Unauthorized', message: 'Not authenticated' });
  });

  it('PATCH /api/profile renames (200), refuses bad input (400) and anonymous callers (401)', async () => {
    const { client: c, user } = await signedInClient(target);
    const ok = await c.patch('/api/profile', { displayName: '  Ada Lovelace ' });
    expect([ok.status, ok.json()]).toEqual([200, userJson(user.email, 'Ada Lovelace')]);
    expect((await c.get('/api/profile')).json()).toEqual(userJson(user.email, 'Ada Lovelace'));
    const bad = await c.patch('/api/profile', { displayName: '' });
    expect([bad.status, bad.json()]).toEqual([
      400,
      { statusCode: 400, error: 'Bad Request', message: ['displayName must be longer than or equal to 1 characters'] },
    ]);
    expect((await client().patch('/api/profile', { displayName: 'x' })).status).toBe(401);
  });
});

describe('every endpoint that needs a session', () => {
  it.each([
    ['GET', '/api/profile', undefined],
    ['PATCH', '/api/profile', { displayName: 'Nobody' }],
    ['PUT', '/api/profile/password', { currentPassword: 'x', newPassword: 'a long enough password' }],
    ['GET', '/api/session', undefined],
    ['GET', '/api/sessions', undefined],
    ['DELETE', '/api/sessions/0123abcd', undefined],
    ['DELETE', '/api/sessions', undefined],
  ])('%s %s answers 401 "Not authenticated" without a session', async (method, path, body) => {
    const res = await client().send(method, path, body);
    expect([res.status, res.json()]).toEqual([401, { statusCode: 401, error: 'Unauthorized', message: 'Not authenticated' }]);
    expect(res.headers['cache-control']).toBe('no-store');
  });
});

describe('a whole visit with a cookie jar', () => {
  it('register → profile → logout → profile 401 → login → profile', async () => {
    const c = client();
    const user = newUser();
    expect((await c.post('/api/auth/register', user)).status).toBe(201);
    expect((await c.get('/api/profile')).json()).toEqual(userJson(user.email, user.displayName));

    const logout = await c.post('/api/auth/logout');
    expect(logout.status).toBe(204);
    expect(logout.body).toBe('');
    expect(attributesOf(logout.setCookies[0])).toEqual({
      name: COOKIE,
      attributes: ['Expires=Thu, 01 Jan 1970 00:00:00 GMT', 'HttpOnly', 'Path=/', 'SameSite=Lax', 'Secure'],
    });
    expect(await c.cookie(COOKIE)).toBeUndefined();
    expect((await c.get('/api/profile')).status).toBe(401);

    expect((await c.post('/api/auth/login', { email: user.email, password: user.password })).status).toBe(200);
    expect((await c.get('/api/profile')).status).toBe(200);
  });

  it('logout answers 204 with a clearing cookie also when not signed in', async () => {
    const res = await client().post('/api/auth/logout');
    expect(res.status).toBe(204);
    expect(res.setCookies[0]).toMatch(/^__Host-sid=; Path=\/; Expires=Thu, 01 Jan 1970 00:00:00 GMT/);
  });
});

describe('edge and cross-cutting behaviour', () => {
  it('GET /healthz and /readyz answer 200', async () => {
    const health = await client().get('/healthz');
    expect([health.status, health.json()]).toEqual([200, { status: 'ok' }]);
    const ready = await client().get('/readyz');
    expect(ready.status).toBe(200);
    expect(ready.json()).toMatchObject({ status: 'ok', details: { postgres: { status: 'up' }, redis: { status: 'up' } } });
  });

  it('sends Cache-Control: no-store and no X-Powered-By', async () => {
    const { client: c } = await signedInClient(target);
    for (const res of [await c.get('/api/profile'), await client().get('/api/profile')]) {
      expect(res.headers['cache-control']).toBe('no-store');
      expect(res.headers['x-powered-by']).toBeUndefined();
    }
  });

  it('refuses a state-changing request from another site with 403', async () => {
    const { client: c } = await signedInClient(target);
    const res = await c.send('PATCH', '/api/profile', { displayName: 'Mallory' }, { origin: 'https://evil.example' });
    expect([res.status, res.json()]).toEqual([403, { statusCode: 403, error: 'Forbidden', message: 'Cross-site request refused' }]);
    const noOrigin = await request(target.baseUrl, {
      method: 'POST',
      path: '/api/auth/logout',
      ca: target.ca,
      headers: { 'sec-fetch-site': 'cross-site' },
    });
    expect(noOrigin.status).toBe(403);
  });

  it('answers unknown routes with a JSON 404', async () => {
    const res = await client().get('/api/nope');
    expect([res.status, res.json()]).toEqual([404, { statusCode: 404, error: 'Not Found', message: 'Cannot GET /api/nope' }]);
  });
});

describeNative('what the app keeps in Redis', () => {
  let redis: TestRedis;
  beforeAll(async () => {
    redis = await connectRedis(target.stack!.redisUrl);
  });
  afterAll(async () => {
    await redis.close();
  });

  it('a session key exists after login with a TTL, and is gone after logout', async () => {
    const { client: c, user } = await signedInClient(target);
    await c.post('/api/auth/login', { email: user.email, password: user.password });
    const id = sessionIdOf((await c.cookie(COOKIE))!.value);
    const ttl = await redis.ttl(`sess:${id}`);
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(30 * 60);
    // The compact record (session-record.ts): the user's id, the clock, the stamp, the device;
    // no copy of profile data and no cookie attributes (they are configuration).
    const stored = JSON.parse((await redis.get(`sess:${id}`))!);
    expect(Object.keys(stored).sort()).toEqual(['a', 'c', 'i', 'k', 'l', 'u']);
    expect(stored.u).toEqual(expect.any(String));
    expect(await c.post('/api/auth/logout')).toMatchObject({ status: 204 });
    expect(await redis.exists(`sess:${id}`)).toBe(0);
  });
});

describeNative('Redis work per request', () => {
  it('an authenticated GET /api/session costs one Redis round trip (a bare express-session setup: 2)', async () => {
    const redis = await connectRedis(target.stack!.redisUrl);
    try {
      const { client: c } = await signedInClient(target);
      // Once first: Redis learns the session script (EVALSHA's one-time fallback to EVAL).
      expect((await c.get('/api/session')).status).toBe(200);
      const requests = 50;
      await redis.configResetStat();
      for (let i = 0; i < requests; i += 1) expect((await c.get('/api/session')).status).toBe(200);
      const stats = await redis.info('commandstats');
      const calls = [...stats.matchAll(/^cmdstat_(\w+):calls=(\d+)/gm)]
        // INFO/CONFIG are this test's own; PING is the app's connection heartbeat, not per request.
        .filter(([, command]) => !['info', 'config', 'ping'].includes(command))
        .map(([, command, n]) => [command, Number(n)] as const);
      process.stdout.write(
        `Redis round trips per authenticated GET /api/session: ${(Object.fromEntries(calls).evalsha ?? 0) / requests} ` +
          `(commands, the script's own included: ${JSON.stringify(Object.fromEntries(calls))})\n`,
      );
      // One EVALSHA, the session script, which reads the record and its user's credential stamp
      // (two GETs inside Redis). No write until a tenth of the idle window has passed.
      expect(Object.fromEntries(calls)).toEqual({ evalsha: requests, get: 2 * requests });
    } finally {
      await redis.close();
    }
  });
});

afterAll(() => {
  // Checked last, over every response of the file.
  expect(bodies.length).toBeGreaterThan(20);
  for (const body of bodies) expect(body).not.toMatch(/\$argon2|password_?hash/i);
});
