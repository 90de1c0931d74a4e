import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import pg from 'pg';
import { Client, signedInClient } from '../../tools/client/client.js';
import { connectRedis, sessionIdOf, type TestRedis } from '../../tools/client/redis.js';
import { describeNative, startTarget, stopTarget, type Target } from '../support/target.js';

const COOKIE = '__Host-sid';

let target: Target;
beforeAll(async () => {
  target = await startTarget();
});
afterAll(async () => {
  await stopTarget(target);
});

describe('DELETE /api/profile', () => {
  it.each([
    ['no body', undefined, ['password must be a string']],
    ['an empty password', { password: '' }, ['password must be longer than or equal to 1 characters']],
    ['a password that is not a string', { password: 42 }, ['password must be a string']],
    ['an unknown property', { password: 'x', also: 1 }, ['property also should not exist']],
  ])('answers 400 to %s and keeps the account', async (_case, body, message) => {
    const { client: c } = await signedInClient(target);
    const res = await c.send('DELETE', '/api/profile', body);
    expect([res.status, res.json()]).toEqual([400, { statusCode: 400, error: 'Bad Request', message }]);
    expect((await c.get('/api/profile')).status).toBe(200);
  });

  it('answers 401 "Not authenticated" without a session', async () => {
    const res = await new Client(target).send('DELETE', '/api/profile', { password: 'whatever it is' });
    expect([res.status, res.json()]).toEqual([401, { statusCode: 401, error: 'Unauthorized', message: 'Not authenticated' }]);
  });

  it('answers 403 to a wrong password and keeps the account and the session', async () => {
    const { client: c } = await signedInClient(target);
    const res = await c.send('DELETE', '/api/profile', { password: 'not the password at all' });
    expect([res.status, res.json()]).toEqual([403, { statusCode: 403, error: 'Forbidden', message: 'Current password is wrong' }]);
    expect(res.setCookies).toEqual([]);
    expect((await c.get('/api/profile')).status).toBe(200);
  });

  it('answers 204, clears the cookie, ends every session of the user and frees the email', async () => {
    const { client: c, user } = await signedInClient(target);
    const other = new Client(target);
    expect((await other.post('/api/auth/login', { email: user.email, password: user.password })).status).toBe(200);

    const res = await c.send('DELETE', '/api/profile', { password: user.password });
    expect([res.status, res.body]).toEqual([204, '']);
    expect(res.setCookies).toEqual([`${COOKIE}=; Path=/; Expires=Thu, 01 Jan 1970 00:00:00 GMT; HttpOnly; Secure; SameSite=Lax`]);
    expect(await c.cookie(COOKIE)).toBeUndefined();

    // The other device's cookie is still correctly signed, but its session is gone.
    const stale = await other.get('/api/profile');
    expect([stale.status, stale.json()]).toEqual([401, { statusCode: 401, error: 'Unauthorized', message: 'Session expired' }]);
    const login = await new Client(target).post('/api/auth/login', { email: user.email, password: user.password });
    expect([login.status, login.json()]).toEqual([401, { statusCode: 401, error: 'Unauthorized', message: 'Invalid email or password' }]);
    expect((await new Client(target).post('/api/auth/register', user)).status).toBe(201);
  });
});

describeNative('DELETE /api/profile leaves nothing behind', () => {
  let redis: TestRedis;
  let db: pg.Client;
  beforeAll(async () => {
    redis = await connectRedis(target.stack!.redisUrl);
    db = new pg.Client({ connectionString: target.stack!.databaseUrl });
    await db.connect();
  });
  afterAll(async () => {
    await redis.close();
    await db.end();
  });

  it('no user row, no session record and no session index remain', async () => {
    const { client: c, user, json } = await signedInClient(target);
    const other = new Client(target);
    await other.post('/api/auth/login', { email: user.email, password: user.password });
    const ids = [c, other].map(async (client) => sessionIdOf((await client.cookie(COOKIE))!.value));
    const keys = (await Promise.all(ids)).map((id) => `sess:${id}`);
    expect(await redis.exists([...keys, `user-sessions:${json.id}`])).toBe(3);

    expect((await c.send('DELETE', '/api/profile', { password: user.password })).status).toBe(204);
    expect(await redis.exists([...keys, `user-sessions:${json.id}`])).toBe(0);
    expect((await db.query('SELECT count(*)::int AS n FROM users WHERE id = $1', [json.id])).rows).toEqual([{ n: 0 }]);
  });
});
