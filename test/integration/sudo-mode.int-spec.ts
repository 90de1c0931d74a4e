import { describe, expect, it } from '@jest/globals';
import { sessionIdOfCookieValue } from '../../src/session/session-cookie.js';
import { Client, signedInClient } from '../../tools/client/client.js';
import { inProcessSuite } from './in-process-app.js';

/**
 * Sessions that know how they signed in, and sudo mode (docs/sessions.md, Sudo mode): real
 * Postgres and Redis. A session is taken out of sudo mode by moving its last proof (`p` in its
 * Redis record) back past SUDO_TIMEOUT: the rule itself is unit-tested on a fake clock (sudo.spec.ts).
 */

const MINUTE = 60_000;
const REAUTHENTICATION_REQUIRED = { statusCode: 403, error: 'Forbidden', message: 'Re-authentication required' };

const inProcess = inProcessSuite();

async function sessionKey(client: Client): Promise<string> {
  return `sess:${sessionIdOfCookieValue((await client.cookie('sid'))!.value)}`;
}

/** Moves the session's last proof of its user `minutes` into the past. */
async function provenAgo(client: Client, minutes: number): Promise<void> {
  const key = await sessionKey(client);
  const record = JSON.parse((await inProcess.redis.get(key))!) as { p: number };
  record.p = Date.now() - minutes * MINUTE;
  await inProcess.redis.set(key, JSON.stringify(record), { KEEPTTL: true });
}

describe('a session knows how it signed in', () => {
  it('GET /api/session: methods, and sudo mode for SUDO_TIMEOUT (15 min) from sign-in', async () => {
    const { client } = await signedInClient(inProcess.target);
    const res = await client.get('/api/session');
    const body = res.json<{ createdAt: string; methods: string[]; sudoExpiresAt: string }>();
    expect(res.status).toBe(200);
    expect(body.methods).toEqual(['password']);
    expect(Date.parse(body.sudoExpiresAt) - Date.parse(body.createdAt)).toBe(15 * MINUTE);
  });

  it('GET /api/sessions: the methods of each session', async () => {
    const { client, user } = await signedInClient(inProcess.target);
    const other = new Client(inProcess.target);
    expect((await other.post('/api/auth/login', { email: user.email, password: user.password })).status).toBe(200);
    const sessions = (await client.get('/api/sessions')).json<{ methods: string[] }[]>();
    expect(sessions.map((s) => s.methods)).toEqual([['password'], ['password']]);
  });
});

describe('sudo mode', () => {
  it('outside it, revoking sessions answers 403 "Re-authentication required" and revokes nothing', async () => {
    const { client, user } = await signedInClient(inProcess.target);
    const other = new Client(inProcess.target);
    await other.post('/api/auth/login', { email: user.email, password: user.password });
    const [, theirs] = (await client.get('/api/sessions')).json<{ id: string }[]>();
    await provenAgo(client, 16);

    expect((await client.get('/api/session')).json()).toMatchObject({ sudoExpiresAt: null });
    for (const res of [await client.send('DELETE', `/api/sessions/${theirs.id}`), await client.send('DELETE', '/api/sessions')]) {
      expect([res.status, res.json()]).toEqual([403, REAUTHENTICATION_REQUIRED]);
    }
    expect((await other.get('/api/profile')).status).toBe(200);
  });

  it('POST /api/auth/reauthenticate with the password: 204, a new session id, sudo mode from now', async () => {
    const { client, user } = await signedInClient(inProcess.target);
    await provenAgo(client, 16);
    const before = await sessionKey(client);

    const res = await client.post('/api/auth/reauthenticate', { password: user.password });
    expect(res.status).toBe(204);
    expect(await sessionKey(client)).not.toBe(before);
    expect(await inProcess.redis.exists(before)).toBe(0);
    const session = (await client.get('/api/session')).json<{ methods: string[]; sudoExpiresAt: string }>();
    expect(session.methods).toEqual(['password']);
    expect(Date.parse(session.sudoExpiresAt)).toBeGreaterThan(Date.now() + 14 * MINUTE);
    expect((await client.send('DELETE', '/api/sessions')).status).toBe(204);
  });

  it('a wrong password is 403 "Invalid credentials" and is throttled like any password check; a bad body is 400; signed out is 401', async () => {
    const { client } = await signedInClient(inProcess.target);
    await provenAgo(client, 16);
    const wrong = await client.post('/api/auth/reauthenticate', { password: 'not the password at all' });
    expect([wrong.status, wrong.json()]).toEqual([403, { statusCode: 403, error: 'Forbidden', message: 'Invalid credentials' }]);
    expect((await client.send('DELETE', '/api/sessions')).status).toBe(403);
    // Counted like every check of the current password: the 11th wrong one from this address is 429.
    for (let i = 2; i <= 10; i++) expect((await client.post('/api/auth/reauthenticate', { password: `wrong ${i}` })).status).toBe(403);
    expect((await client.post('/api/auth/reauthenticate', { password: 'wrong 11' })).status).toBe(429);

    for (const body of [{}, { password: 42 }, { password: '' }, { password: 'x', extra: true }]) {
      expect((await client.post('/api/auth/reauthenticate', body)).status).toBe(400);
    }
    const signedOut = await new Client(inProcess.target).post('/api/auth/reauthenticate', { password: 'whatever it is' });
    expect([signedOut.status, signedOut.json()]).toEqual([401, { statusCode: 401, error: 'Unauthorized', message: 'Not authenticated' }]);
  });

  it('a password change counts as re-authentication: sudo mode again', async () => {
    const { client, user } = await signedInClient(inProcess.target);
    await provenAgo(client, 16);
    const change = await client.put('/api/profile/password', { currentPassword: user.password, newPassword: 'a brand new passphrase' });
    expect(change.status).toBe(204);
    expect((await client.send('DELETE', '/api/sessions')).status).toBe(204);
  });
});
