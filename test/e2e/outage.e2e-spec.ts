/**
 * Redis and Postgres outages, through nginx: a request that needs the missing service answers a
 * quick JSON 503 (it never waits on a reconnect), liveness stays up, readiness names the service,
 * and when the service is back the app recovers by itself: same processes, same sessions.
 */
import { afterAll, beforeAll, expect, it } from '@jest/globals';
import { Client, newUser, signedInClient } from '../../tools/client/client.js';
import { request, type Response } from '../../tools/client/http.js';
import { eventually } from '../support/eventually.js';
import { describeNative, startTarget, stopTarget, type Target } from '../support/target.js';

/** No request may take longer than this while a service is down (docs/operations.md, Outages). */
const DEADLINE_MS = 2_000;
const SESSION_STORE_DOWN = { statusCode: 503, error: 'Service Unavailable', message: 'Session store unavailable' };
const DATABASE_DOWN = { statusCode: 503, error: 'Service Unavailable', message: 'Database unavailable' };

let target: Target;

async function timed(send: () => Promise<Response>): Promise<{ res: Response; ms: number }> {
  const t0 = performance.now();
  const res = await send();
  return { res, ms: performance.now() - t0 };
}

/** GET /readyz until it answers `status`; the app is given a few seconds to notice. */
function readyzOnceItIs(status: number): Promise<Response> {
  return eventually(
    `/readyz to answer ${status}`,
    async () => {
      const res = await request(target.baseUrl, { path: '/readyz', ca: target.ca });
      return res.status === status && res;
    },
    { timeoutMs: 10_000, intervalMs: 200 },
  );
}

describeNative('outages of Redis and Postgres (native stack: pauses and stops them)', () => {
  beforeAll(async () => {
    target = await startTarget();
  });
  afterAll(async () => {
    await stopTarget(target);
  });

  it('Redis frozen: 503 "Session store unavailable" within 2 s; /healthz 200, /readyz names redis; resumed, the earlier session works', async () => {
    const stack = target.stack!;
    const { client, user } = await signedInClient(target);
    const pid = stack.appPid(0);
    // Tried (and refused) twice during the outage: no half-made account may be left to block it.
    const latecomer = newUser();
    const sessionNeeders: [string, () => Promise<Response>][] = [
      ['GET /api/profile', () => client.get('/api/profile')],
      ['GET /api/session', () => client.get('/api/session')],
      ['GET /api/sessions', () => client.get('/api/sessions')],
      ['PATCH /api/profile', () => client.patch('/api/profile', { displayName: 'During the outage' })],
      ['POST /api/auth/login', () => new Client(target).post('/api/auth/login', { email: user.email, password: user.password })],
      ['POST /api/auth/register', () => new Client(target).post('/api/auth/register', latecomer)],
    ];

    await stack.pauseRedis();
    try {
      // All at once, as the outage starts: these are on the wire to a Redis that no longer
      // answers, and must be released by the app's own deadline.
      const first = await Promise.all(sessionNeeders.map(([, send]) => timed(send)));
      // Then one by one, with the outage known.
      const then: { res: Response; ms: number }[] = [];
      for (const [, send] of sessionNeeders) then.push(await timed(send));

      for (const [i, { res, ms }] of [...first, ...then].entries()) {
        const name = sessionNeeders[i % sessionNeeders.length][0];
        expect([name, res.status, res.json()]).toEqual([name, 503, SESSION_STORE_DOWN]);
        expect(ms).toBeLessThan(DEADLINE_MS);
      }
      const live = await timed(() => request(target.baseUrl, { path: '/healthz', ca: target.ca }));
      expect([live.res.status, live.res.json()]).toEqual([200, { status: 'ok' }]);
      const ready = await timed(() => request(target.baseUrl, { path: '/readyz', ca: target.ca }));
      expect(ready.res.status).toBe(503);
      expect(ready.res.json<{ message: string }>().message).toMatch(/redis/);
      expect(ready.res.json<{ message: string }>().message).not.toMatch(/postgres/);
      expect(ready.ms).toBeLessThan(DEADLINE_MS);
      // Health endpoints never load a session: with the session cookie it still names redis.
      const signedIn = await client.get('/readyz');
      expect([signedIn.status, signedIn.json<{ message: string }>().message]).toEqual([503, ready.res.json<{ message: string }>().message]);
    } finally {
      await stack.resumeRedis();
    }

    expect((await readyzOnceItIs(200)).status).toBe(200);
    const profile = await client.get('/api/profile');
    expect([profile.status, profile.json<{ email: string }>().email]).toEqual([200, user.email]);
    expect((await new Client(target).post('/api/auth/login', { email: user.email, password: user.password })).status).toBe(200);
    expect((await new Client(target).post('/api/auth/register', latecomer)).status).toBe(201);
    expect(stack.appPid(0)).toBe(pid); // recovered, not restarted
  });

  it('Postgres stopped: login, register and profile answer 503 "Database unavailable" within 2 s; /readyz names postgres; restarted, all works again', async () => {
    const stack = target.stack!;
    const { client, user } = await signedInClient(target);
    const pid = stack.appPid(0);
    const databaseNeeders: [string, () => Promise<Response>][] = [
      ['POST /api/auth/login', () => new Client(target).post('/api/auth/login', { email: user.email, password: user.password })],
      ['POST /api/auth/register', () => new Client(target).post('/api/auth/register', newUser())],
      ['GET /api/profile', () => client.get('/api/profile')],
      ['PATCH /api/profile', () => client.patch('/api/profile', { displayName: 'During the outage' })],
    ];

    await stack.stopPostgres();
    try {
      for (const [name, send] of databaseNeeders) {
        const { res, ms } = await timed(send);
        expect([name, res.status, res.json()]).toEqual([name, 503, DATABASE_DOWN]);
        expect(ms).toBeLessThan(DEADLINE_MS);
      }
      // The session lives in Redis: what needs only the session still works.
      expect((await client.get('/api/session')).status).toBe(200);
      expect((await request(target.baseUrl, { path: '/healthz', ca: target.ca })).status).toBe(200);
      const ready = await timed(() => request(target.baseUrl, { path: '/readyz', ca: target.ca }));
      expect(ready.res.status).toBe(503);
      expect(ready.res.json<{ message: string }>().message).toMatch(/postgres/);
      expect(ready.res.json<{ message: string }>().message).not.toMatch(/redis/);
      expect(ready.ms).toBeLessThan(DEADLINE_MS);
    } finally {
      await stack.startPostgres();
    }

    expect((await readyzOnceItIs(200)).status).toBe(200);
    const profile = await client.get('/api/profile');
    expect([profile.status, profile.json<{ email: string }>().email]).toEqual([200, user.email]);
    expect((await new Client(target).post('/api/auth/login', { email: user.email, password: user.password })).status).toBe(200);
    expect((await new Client(target).post('/api/auth/register', newUser())).status).toBe(201);
    expect(stack.appPid(0)).toBe(pid);
  });
});
