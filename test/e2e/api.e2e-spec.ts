import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Client, newUser, signedInClient } from '../../tools/client/client.js';
import { connectRedis } from '../../tools/client/redis.js';
import { VERIFY_SUBJECT, waitForMails } from '../support/mail.js';
import { describeNative, startTarget, stopTarget, type Target } from '../support/target.js';

/**
 * The JSON API through nginx over TLS, as a deployment serves it (the compose smoke runs this
 * file against the compose stack): a visit with the production cookie, `__Host-sid`, Secure, as
 * the client's strict cookie jar keeps and sends it. Each endpoint's codes and bodies are proven
 * once, in process (test/integration/api.int-spec.ts).
 */
const COOKIE = '__Host-sid';
const userJson = (email: string, displayName: string) => ({
  id: expect.any(String),
  email,
  displayName,
  createdAt: expect.any(String),
  lastLoginAt: expect.any(String),
  emailVerifiedAt: null,
});

let target: Target;

beforeAll(async () => {
  target = await startTarget();
});
afterAll(async () => {
  await stopTarget(target);
});

function attributesOf(setCookie: string): { name: string; attributes: string[] } {
  const [pair, ...attributes] = setCookie.split(';').map((part) => part.trim());
  return { name: pair.slice(0, pair.indexOf('=')), attributes: attributes.sort() };
}

describe('the production cookie through nginx', () => {
  it('registration answers 201 and starts a session with a Secure __Host- cookie, which the jar keeps and sends', async () => {
    const c = new Client(target);
    const res = await c.post('/api/auth/register', newUser());
    expect(res.status).toBe(201);
    expect(res.setCookies).toHaveLength(1);
    process.stdout.write(`Set-Cookie checked through nginx: ${res.setCookies[0].replace(/=s%3A[^;]+/, '=s%3A<id.signature>')}\n`);
    expect(attributesOf(res.setCookies[0])).toEqual({
      name: COOKIE,
      attributes: ['HttpOnly', 'Path=/', 'SameSite=Lax', 'Secure'],
    });
    expect(await c.cookie(COOKIE)).toMatchObject({ secure: true, httpOnly: true, path: '/', sameSite: 'lax' });
    expect((await c.get('/api/profile')).status).toBe(200);
  });

  it('a whole visit: register → profile → logout (the cookie cleared) → profile 401 → login → profile', async () => {
    const c = new Client(target);
    const user = newUser();
    expect((await c.post('/api/auth/register', user)).status).toBe(201);
    expect((await c.get('/api/profile')).json()).toEqual(userJson(user.email, user.displayName));

    const logout = await c.post('/api/auth/logout');
    expect(logout.status).toBe(204);
    expect(attributesOf(logout.setCookies[0])).toEqual({
      name: COOKIE,
      attributes: ['Expires=Thu, 01 Jan 1970 00:00:00 GMT', 'HttpOnly', 'Path=/', 'SameSite=Lax', 'Secure'],
    });
    expect(await c.cookie(COOKIE)).toBeUndefined();
    expect((await c.get('/api/profile')).status).toBe(401);

    expect((await c.post('/api/auth/login', { email: user.email, password: user.password })).status).toBe(200);
    expect((await c.get('/api/profile')).status).toBe(200);
  });
});

// Here, not in process: INFO commandstats counts the whole server, and only the native stack's
// Redis serves this one app (the in-process tier shares its Redis among its spec files).
describeNative('Redis work per request', () => {
  it('an authenticated GET /api/session costs one Redis round trip (a bare express-session setup: 2)', async () => {
    const redis = await connectRedis(target.stack!.redisUrl);
    try {
      // The registration's verification mail is counted in Redis by the app's mail worker as it
      // sends it: waited for here, so that it is not counted among the requests' commands.
      const { client: c, user } = await signedInClient(target);
      await waitForMails(target.stack!.mailUrl, user.email, VERIFY_SUBJECT);
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
