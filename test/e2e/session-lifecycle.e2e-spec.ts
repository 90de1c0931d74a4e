import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, expect, it } from '@jest/globals';
import { Client, signedInClient } from '../../tools/client/client.js';
import { request } from '../../tools/client/http.js';
import { connectRedis, sessionIdOf, type TestRedis } from '../../tools/client/redis.js';
import { describeNative, startTarget, stopTarget, type Target } from '../support/target.js';

const COOKIE = '__Host-sid';
const IDLE_S = 2;
const ABSOLUTE_S = 6;
const REMEMBER_S = 8;
const EXPIRED = { statusCode: 401, error: 'Unauthorized', message: 'Session expired' };

let target: Target;
let redis: TestRedis;

async function sessionKey(c: Client): Promise<string> {
  return `sess:${sessionIdOf((await c.cookie(COOKIE))!.value)}`;
}

/** Short timeouts come from configuration, so the rules are seen end to end in seconds. */
describeNative('session lifecycle through nginx (idle 2 s, absolute 6 s, remember-me 8 s)', () => {
  beforeAll(async () => {
    target = await startTarget({
      SESSION_IDLE_TIMEOUT: `${IDLE_S}s`,
      SESSION_ABSOLUTE_TIMEOUT: `${ABSOLUTE_S}s`,
      SESSION_REMEMBER_TIMEOUT: `${REMEMBER_S}s`,
    });
    redis = await connectRedis(target.stack!.redisUrl);
  });
  afterAll(async () => {
    await redis?.close();
    await stopTarget(target);
  });

  it('GET /api/session describes the current session', async () => {
    const { client } = await signedInClient(target);
    const res = await client.get('/api/session');
    expect(res.status).toBe(200);
    const body = res.json<Record<string, unknown>>();
    expect(body).toEqual({
      id: expect.stringMatching(/^[0-9a-f]{64}$/),
      createdAt: expect.any(String),
      lastSeenAt: expect.any(String),
      idleExpiresAt: expect.any(String),
      absoluteExpiresAt: expect.any(String),
      rememberMe: false,
      methods: ['password'],
      sudoExpiresAt: expect.any(String),
    });
    const created = Date.parse(body.createdAt as string);
    expect(Date.parse(body.idleExpiresAt as string) - created).toBe(IDLE_S * 1000);
    expect(Date.parse(body.absoluteExpiresAt as string) - created).toBe(ABSOLUTE_S * 1000);
    // The public handle is not the session id, nor part of the cookie.
    expect((await client.cookie(COOKIE))!.value).not.toContain(body.id as string);
  });

  it('an unused session ends at the idle timeout: 401 "Session expired", cookie cleared, neither key nor index left', async () => {
    const { client, json } = await signedInClient(target);
    const key = await sessionKey(client);
    const ttl = await redis.pTTL(key);
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(IDLE_S * 1000);

    // The one real-time proof of the idle timeout (its rules run on a fake clock in
    // session-timeouts.spec.ts): Redis itself lets the key and the index go.
    await sleep(IDLE_S * 1000 + 300);
    expect(await redis.exists([key, `user-sessions:${json.id}`])).toBe(0);
    const res = await client.get('/api/profile');
    expect([res.status, res.json()]).toEqual([401, EXPIRED]);
    expect(res.setCookies[0]).toMatch(/^__Host-sid=; Path=\/; Expires=Thu, 01 Jan 1970/);
    expect(await client.cookie(COOKIE)).toBeUndefined();
    const again = await client.get('/api/profile');
    expect(again.json()).toMatchObject({ message: 'Not authenticated' });
  });

  it('activity slides the idle timeout, but the absolute cap ends even an active session', async () => {
    const { client } = await signedInClient(target);
    // Signed in before this instant, so the cap falls at or before start + ABSOLUTE_S. Each request
    // is judged by when it was sent, which the machine's load cannot shift: a 200 after the cap
    // would be a session outliving it, a 401 before twice the idle timeout one that ended early.
    const start = Date.now();
    const answers: { sentAfterMs: number; status: number }[] = [];
    while (Date.now() - start < (ABSOLUTE_S + 10) * 1000) {
      await sleep(400);
      const sentAfterMs = Date.now() - start;
      const res = await client.get('/api/session');
      answers.push({ sentAfterMs, status: res.status });
      if (res.status !== 200) {
        expect([res.status, res.json()]).toEqual([401, EXPIRED]);
        break;
      }
      const key = await sessionKey(client);
      const left = Date.parse(res.json<{ absoluteExpiresAt: string }>().absoluteExpiresAt) - Date.now();
      // The Redis TTL is never longer than the time the session has left.
      expect(await redis.pTTL(key)).toBeLessThanOrEqual(Math.max(left, 0) + 50);
    }
    const alive = answers.filter((answer) => answer.status === 200).map((answer) => answer.sentAfterMs);
    // Alive well past the idle timeout thanks to activity, ended by the absolute cap.
    expect(answers.at(-1)?.status).toBe(401);
    expect(Math.max(...alive)).toBeGreaterThan(IDLE_S * 2 * 1000);
    expect(Math.max(...alive)).toBeLessThan(ABSOLUTE_S * 1000);
  });

  it('remember-me: a persistent cookie for the time left, survives idleness, ends at its cap', async () => {
    const { client, user } = await signedInClient(target);
    const login = await client.post('/api/auth/login', { email: user.email, password: user.password, rememberMe: true });
    expect(login.status).toBe(200);
    const cookie = (await client.cookie(COOKIE))!;
    const lifetime = (cookie.expires as Date).getTime() - Date.now();
    expect(lifetime).toBeGreaterThan((REMEMBER_S - 2) * 1000);
    expect(lifetime).toBeLessThanOrEqual(REMEMBER_S * 1000);
    expect(await redis.pTTL(await sessionKey(client))).toBeLessThanOrEqual(REMEMBER_S * 1000);
    const session = (await client.get('/api/session')).json();
    expect(session).toMatchObject({ rememberMe: true, idleExpiresAt: null });

    await sleep(IDLE_S * 1000 + 1000); // idle past the normal idle timeout
    expect((await client.get('/api/profile')).status).toBe(200);

    await sleep(REMEMBER_S * 1000 - (IDLE_S * 1000 + 1000) + 300);
    // The jar itself dropped the expired cookie; a client that kept it is told the session expired.
    expect(await client.cookie(COOKIE)).toBeUndefined();
    const keeper = new Client(target);
    await keeper.jar.setCookie(`${COOKIE}=${cookie.value}; Secure; Path=/`, target.baseUrl);
    expect((await keeper.get('/api/profile')).json()).toEqual(EXPIRED);
  });

  it('two clients of one user list each other; one revokes the other', async () => {
    const { client: laptop, user, json } = await signedInClient(target);
    const phone = new Client(target, 'phone-agent/1.0');
    expect((await phone.post('/api/auth/login', { email: user.email, password: user.password })).status).toBe(200);

    const list = await laptop.get('/api/sessions');
    expect(list.status).toBe(200);
    const sessions = list.json<Array<Record<string, unknown>>>();
    expect(sessions).toHaveLength(2);
    for (const s of sessions) {
      expect(s).toEqual({
        id: expect.stringMatching(/^[0-9a-f]{64}$/),
        current: expect.any(Boolean),
        createdAt: expect.any(String),
        lastSeenAt: expect.any(String),
        expiresAt: expect.any(String),
        ip: '127.0.0.1',
        userAgent: expect.any(String),
        device: 'Unknown device',
        methods: ['password'],
      });
    }
    const other = sessions.find((s) => !s.current)!;
    expect(other.userAgent).toBe('phone-agent/1.0');
    expect(
      (await phone.get('/api/sessions'))
        .json<Array<{ id: string }>>()
        .map((s) => s.id)
        .sort(),
    ).toEqual(sessions.map((s) => s.id).sort());

    const phoneKey = await sessionKey(phone);
    expect((await laptop.delete(`/api/sessions/${other.id}`)).status).toBe(204);
    expect(await redis.exists(phoneKey)).toBe(0);
    expect((await phone.get('/api/profile')).json()).toEqual(EXPIRED);
    expect((await laptop.get('/api/sessions')).json()).toHaveLength(1);
    expect(await redis.zRange(`user-sessions:${json.id}`, 0, -1)).toHaveLength(1);
  });

  it('DELETE /api/sessions revokes every other session and keeps the current one', async () => {
    const { client: a, user } = await signedInClient(target);
    const others = [new Client(target), new Client(target)];
    for (const c of others) await c.post('/api/auth/login', { email: user.email, password: user.password });
    expect((await a.delete('/api/sessions')).status).toBe(204);
    for (const c of others) expect((await c.get('/api/profile')).json()).toEqual(EXPIRED);
    expect((await a.get('/api/profile')).status).toBe(200);
    expect((await a.get('/api/sessions')).json()).toEqual([expect.objectContaining({ current: true })]);
  });

  it("revoking another user's session gives 404 and changes nothing", async () => {
    const { client: alice } = await signedInClient(target);
    const { client: bob } = await signedInClient(target);
    const bobSession = (await bob.get('/api/session')).json<{ id: string }>();
    const res = await alice.delete(`/api/sessions/${bobSession.id}`);
    expect([res.status, res.json()]).toEqual([404, { statusCode: 404, error: 'Not Found', message: 'Session not found' }]);
    expect((await bob.get('/api/profile')).status).toBe(200);
  });

  it('a password change signs out the other clients and gives this session a new id', async () => {
    const { client: a, user } = await signedInClient(target);
    const b = new Client(target);
    await b.post('/api/auth/login', { email: user.email, password: user.password });
    const oldKey = await sessionKey(a);

    const wrong = await a.put('/api/profile/password', { currentPassword: 'not my password', newPassword: 'a brand new passphrase' });
    expect([wrong.status, wrong.json()]).toEqual([403, { statusCode: 403, error: 'Forbidden', message: 'Current password is wrong' }]);
    const short = await a.put('/api/profile/password', { currentPassword: user.password, newPassword: 'short' });
    expect([short.status, short.json()]).toEqual([
      400,
      { statusCode: 400, error: 'Bad Request', message: ['newPassword must be at least 12 characters'] },
    ]);

    const ok = await a.put('/api/profile/password', { currentPassword: user.password, newPassword: 'a brand new passphrase' });
    expect(ok.status).toBe(204);
    expect(await sessionKey(a)).not.toBe(oldKey);
    expect(await redis.exists(oldKey)).toBe(0);
    expect((await a.get('/api/profile')).status).toBe(200);
    expect((await b.get('/api/profile')).json()).toEqual(EXPIRED);
    expect((await a.get('/api/sessions')).json()).toHaveLength(1);

    const relogin = new Client(target);
    expect((await relogin.post('/api/auth/login', { email: user.email, password: user.password })).status).toBe(401);
    expect((await relogin.post('/api/auth/login', { email: user.email, password: 'a brand new passphrase' })).status).toBe(200);
  });

  it('the sessions list shows the address nginx saw, not an X-Forwarded-For the client sent', async () => {
    const { client, user } = await signedInClient(target);
    const login = await request(target.baseUrl, {
      method: 'POST',
      path: '/api/auth/login',
      ca: target.ca,
      localAddress: '127.0.0.7',
      headers: { origin: target.baseUrl, 'x-forwarded-for': '203.0.113.66' },
      body: { email: user.email, password: user.password },
    });
    expect(login.status).toBe(200);
    const ips = (await client.get('/api/sessions'))
      .json<Array<{ ip: string }>>()
      .map((s) => s.ip)
      .sort();
    expect(ips).toEqual(['127.0.0.1', '127.0.0.7']);
  });

  it('the per-user index never outlives the sessions it lists', async () => {
    const { client, json } = await signedInClient(target);
    const index = `user-sessions:${json.id}`;
    expect(await redis.zCard(index)).toBe(1);
    expect(await redis.pTTL(index)).toBeLessThanOrEqual(IDLE_S * 1000);
    expect((await client.post('/api/auth/logout')).status).toBe(204);
    expect(await redis.exists(index)).toBe(0);
  });
});
