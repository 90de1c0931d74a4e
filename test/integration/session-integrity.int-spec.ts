import { afterAll, afterEach, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { Controller, Get } from '@nestjs/common';
import { ClientOfflineError } from 'redis';
import { Argon2Threads } from '../../src/passwords/argon2-threads.js';
import { PasswordService } from '../../src/passwords/password.service.js';
import { INVALID_RESET_LINK, RESET_CONFIRMS_PER_ADDRESS } from '../../src/recovery/password-reset.service.js';
import { sessionIdOfCookieValue } from '../../src/session/session-cookie.js';
import { SessionStore } from '../../src/session/session-store.js';
import { Client, newUser, signedInClient } from '../../tools/client/client.js';
import { connectRedis, type TestRedis } from '../../tools/client/redis.js';
import { eventually } from '../support/eventually.js';
import { advanceClock, gate } from '../support/held.js';
import { startInProcessApp, type InProcessApp } from './in-process-app.js';
import { type Services, startServices } from './services.js';

/**
 * The races of session integrity (docs/sessions.md), made to happen: a request is held in flight
 * on purpose, at a gate this spec opens, while another device revokes its session or changes the
 * password. Real Postgres and Redis; the app in this process, so the gate can sit inside it.
 */

let held = gate();

/** A signed-in route whose handler waits at the gate: its session is loaded (and renewed) by then. */
@Controller('test')
class HeldController {
  @Get('held')
  async hold(): Promise<{ held: true }> {
    await held.wait();
    return { held: true };
  }
}

const IDLE_MS = 20_000; // renewal is due after a tenth of it: 2 s on the fake clock
let services: Services;
let inProcess: InProcessApp;
let redis: TestRedis;

beforeAll(async () => {
  services = await startServices();
  inProcess = await startInProcessApp(services, { SESSION_IDLE_TIMEOUT: '20s', SESSION_MAX_PER_USER: '3' }, [HeldController]);
  redis = await connectRedis(services.redisUrl);
}, 60_000);
afterAll(async () => {
  await redis?.close();
  await inProcess?.close();
  await services?.stop();
});
afterEach(() => {
  jest.useRealTimers();
  jest.restoreAllMocks();
  held = gate();
});

async function signIn(email: string, password: string): Promise<Client> {
  const client = new Client(inProcess.target);
  const res = await client.post('/api/auth/login', { email, password });
  expect(res.status).toBe(200);
  return client;
}

async function register() {
  const user = newUser();
  const client = new Client(inProcess.target);
  expect((await client.post('/api/auth/register', user)).status).toBe(201);
  return { user, client };
}

async function sessionKey(client: Client): Promise<string> {
  return `sess:${sessionIdOfCookieValue((await client.cookie('sid'))!.value)}`;
}

const SESSION_EXPIRED = { statusCode: 401, error: 'Unauthorized', message: 'Session expired' };

describe('a request in flight on a session that is being revoked', () => {
  it.each([
    ['DELETE /api/sessions from another device', (other: Client) => other.delete('/api/sessions'), 204],
    [
      'a password change on another device',
      (other: Client, password: string) =>
        other.put('/api/profile/password', { currentPassword: password, newPassword: 'a brand new passphrase' }),
      204,
    ],
  ])('%s: the held request ends with its session gone, and its next call is 401', async (_case, revoke, status) => {
    const { user, client: slow } = await register();
    const other = await signIn(user.email, user.password);
    const key = await sessionKey(slow);
    advanceClock(IDLE_MS / 10 + 500); // the slow request renews its session: it will write it back

    const inFlight = slow.get('/test/held');
    await held.reached;
    expect((await revoke(other, user.password)).status).toBe(status);
    expect(await redis.exists(key)).toBe(0);

    held.open();
    expect((await inFlight).status).toBe(200);
    expect(await redis.exists(key)).toBe(0); // the write-back did not bring it back
    const next = await slow.get('/api/session');
    expect([next.status, next.json()]).toEqual([401, SESSION_EXPIRED]);
    expect(await redis.zRange(`user-sessions:${(await other.get('/api/profile')).json<{ id: string }>().id}`, 0, -1)).not.toContain(
      key.slice(5),
    );
  });
});

describe('sessions are bound to the password', () => {
  it('a login whose password check is held until a password change commits is refused on its next request', async () => {
    const { user, client: owner } = await register();
    const passwords = inProcess.app.get(PasswordService);
    const verify = passwords.verify.bind(passwords);
    jest.spyOn(passwords, 'verify').mockImplementationOnce(async (hash, password) => {
      const matches = await verify(hash, password); // the old password: true
      await held.wait();
      return matches;
    });

    const late = new Client(inProcess.target);
    const login = late.post('/api/auth/login', { email: user.email, password: user.password });
    await held.reached;
    const change = await owner.put('/api/profile/password', { currentPassword: user.password, newPassword: 'a brand new passphrase' });
    expect(change.status).toBe(204);
    held.open();
    expect((await login).status).toBe(200); // it had checked the password that was right then

    const next = await late.get('/api/session');
    expect([next.status, next.json()]).toEqual([401, SESSION_EXPIRED]);
    expect((await owner.get('/api/session')).status).toBe(200);
  });

  it('Redis failing right after the password is written still leaves no old session signed in', async () => {
    const { user, client: changer } = await register();
    const elsewhere = await signIn(user.email, user.password);
    const store = inProcess.app.get(SessionStore);
    jest.spyOn(store, 'credentialChanged').mockRejectedValueOnce(new ClientOfflineError());

    const change = await changer.put('/api/profile/password', { currentPassword: user.password, newPassword: 'a brand new passphrase' });
    expect(change.status).toBe(503);
    // The new hash is committed, the revocation never ran: the old sessions meet Postgres instead.
    const next = await elsewhere.get('/api/session');
    expect([next.status, next.json()]).toEqual([401, SESSION_EXPIRED]);
    expect((await changer.get('/api/session')).status).toBe(401);
    expect((await new Client(inProcess.target).post('/api/auth/login', { email: user.email, password: user.password })).status).toBe(401);
    await signIn(user.email, 'a brand new passphrase');
  });

  it('of two password changes racing from one verified hash, exactly one wins', async () => {
    const { user, client: first } = await register();
    const second = await signIn(user.email, user.password);
    const passwords = inProcess.app.get(PasswordService);
    const verify = passwords.verify.bind(passwords);
    jest.spyOn(passwords, 'verify').mockImplementationOnce(async (hash, password) => {
      const matches = await verify(hash, password);
      await held.wait();
      return matches;
    });

    const slowChange = first.put('/api/profile/password', { currentPassword: user.password, newPassword: 'first new passphrase' });
    await held.reached;
    expect(
      (await second.put('/api/profile/password', { currentPassword: user.password, newPassword: 'second new passphrase' })).status,
    ).toBe(204);
    held.open();
    const lost = await slowChange;
    expect([lost.status, lost.json()]).toEqual([403, { statusCode: 403, error: 'Forbidden', message: 'Current password is wrong' }]);
    await signIn(user.email, 'second new passphrase');
    expect(
      (await new Client(inProcess.target).post('/api/auth/login', { email: user.email, password: 'first new passphrase' })).status,
    ).toBe(401);
  });
});

describe('sessions per user (SESSION_MAX_PER_USER=3)', () => {
  it('a sign-in beyond the cap ends the least recently used session', async () => {
    const { user, client: first } = await register();
    const second = await signIn(user.email, user.password);
    const third = await signIn(user.email, user.password);
    advanceClock(IDLE_MS / 10 + 500);
    expect((await first.get('/api/session')).status).toBe(200); // renewed: now the most recent

    const fourth = await signIn(user.email, user.password);
    const ended = await second.get('/api/session');
    expect([ended.status, ended.json()]).toEqual([401, SESSION_EXPIRED]);
    for (const client of [first, third, fourth]) expect((await client.get('/api/session')).status).toBe(200);
    expect((await fourth.get('/api/sessions')).json<unknown[]>()).toHaveLength(3);
  });
});

describe('fail closed', () => {
  it('a signed-in session record without its clock is treated as expired, and removed', async () => {
    const { client } = await register();
    const key = await sessionKey(client);
    const record = JSON.parse((await redis.get(key))!) as Record<string, unknown>;
    // The clock's fields in the stored record (docs/sessions.md, The record): signed in at, last seen.
    expect(record).toMatchObject({ c: expect.any(Number), l: expect.any(Number) });
    delete record.c;
    delete record.l;
    await redis.set(key, JSON.stringify(record), { KEEPTTL: true });

    const res = await client.get('/api/session');
    expect([res.status, res.json()]).toEqual([401, SESSION_EXPIRED]);
    expect(await redis.exists(key)).toBe(0);
  });
});

describe('bounded hashing', () => {
  it('a reset confirmation with a bogus token is refused before any hash, and one address gets RESET_CONFIRMS_PER_ADDRESS', async () => {
    const hash = jest.spyOn(PasswordService.prototype, 'hash');
    const client = new Client(inProcess.target);
    const confirm = () => client.post('/api/auth/password-reset/confirm', { token: 'guessed-link', newPassword: 'a new passphrase' });
    for (let i = 0; i < RESET_CONFIRMS_PER_ADDRESS; i++) {
      const res = await confirm();
      expect([res.status, res.json()]).toEqual([400, { statusCode: 400, error: 'Bad Request', message: INVALID_RESET_LINK }]);
    }
    expect(hash).not.toHaveBeenCalled();
    const refused = await confirm();
    expect([refused.status, Number(refused.headers['retry-after']) > 0]).toEqual([429, true]);
    await redis.del('reset-confirms:ip:127.0.0.1'); // the next tests confirm from this address too
  });

  it('sign-ins beyond what the hashing pool can run or queue are answered 503 at once, before any counting', async () => {
    const passwords = inProcess.app.get(PasswordService);
    const signedIn = await signedInClient(inProcess.target); // before the storm
    const verify = Argon2Threads.prototype.verify;
    jest.spyOn(Argon2Threads.prototype, 'verify').mockImplementation(async function (this: Argon2Threads, hash, password) {
      await held.wait(); // each hash holds its thread until the gate opens; the rest queue behind them
      return verify.call(this, hash, password);
    });

    const admitted = Array.from({ length: passwords.capacity }, (_, i) =>
      new Client(inProcess.target).post('/api/auth/login', { email: `queued-${i}@example.com`, password: 'not the password' }),
    );
    await held.reached;
    await eventually('the other admitted sign-ins to reach the queue', () => passwords.busy, { intervalMs: 10 });
    const refusals = [
      await new Client(inProcess.target).post('/api/auth/login', { email: 'refused@example.com', password: 'not the password' }),
      await new Client(inProcess.target).post('/api/auth/register', newUser()),
      // Refused before its body is even validated (a 400 otherwise): shedding costs next to nothing.
      await new Client(inProcess.target).post('/api/auth/login', { email: 'not an email' }),
      await new Client(inProcess.target).post('/api/auth/password-reset/confirm', { token: 'bogus', newPassword: 'a new passphrase' }),
      // Each of these bodies would get a 400 (or 403) further in: the 503 comes first.
      await signedIn.client.put('/api/profile/password', { currentPassword: signedIn.user.password }),
      await signedIn.client.send('DELETE', '/api/profile', {}),
    ];
    for (const refused of refusals) {
      expect([refused.status, refused.headers['retry-after'], refused.json()]).toEqual([
        503,
        '1',
        { statusCode: 503, error: 'Service Unavailable', message: 'Too many sign-ins at once; try again in a moment' },
      ]);
      expect(refused.setCookies).toEqual([]);
    }
    // A form gets the error page, in HTML, before its CSRF token or body is even looked at.
    for (const path of ['/login', '/register', '/password', '/reset-password']) {
      const form = new URLSearchParams({ email: 'refused@example.com', password: 'not the password' }).toString();
      const page = await new Client(inProcess.target).post(path, form, { 'content-type': 'application/x-www-form-urlencoded' });
      expect([page.status, page.headers['retry-after'], page.headers['content-type']]).toEqual([503, '1', 'text/html; charset=utf-8']);
      expect(page.body).toContain('Too many sign-ins at once; try again in a moment');
    }
    expect((await signedIn.client.get('/api/profile')).status).toBe(200); // the refusals changed nothing
    expect(await redis.keys('*refused@example.com*')).toEqual([]); // no brute-force counter was touched

    held.open();
    for (const res of await Promise.all(admitted)) expect(res.status).toBe(401);
    const after = await new Client(inProcess.target).post('/api/auth/login', {
      email: 'refused@example.com',
      password: 'not the password',
    });
    expect(after.status).toBe(401); // the pool drained: sign-ins are admitted again
  });
});
