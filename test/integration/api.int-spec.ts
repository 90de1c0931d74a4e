import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { DataSource } from 'typeorm';
import type { MailTemplate } from '../../src/mail/mailer.js';
import { sessionIdOfCookieValue } from '../../src/session/session-cookie.js';
import { Client, newUser } from '../../tools/client/client.js';
import { request } from '../../tools/client/http.js';
import { connectRedis, type TestRedis } from '../../tools/client/redis.js';
import { startInProcessApp, type InProcessApp } from './in-process-app.js';
import { captureMail, type CapturedMail } from './mail-outbox.js';
import { type Services, startServices } from './services.js';

/**
 * The JSON API's controllers and services, through real HTTP with a cookie jar against the app in
 * this process, on real Postgres and Redis: each endpoint's status codes and bodies. Every test
 * makes its own users. All requests come from 127.0.0.1, so the per-address brute-force and mail
 * limits (docs/security.md, Brute force; Mail limits) are shared by the whole file: it makes
 * only a handful of wrong-password attempts and mail requests in all. Only the first few
 * registrations from an address get their verification mail, so a test that needs that mail
 * registers from a loopback address of its own (registerMailed).
 */

const MINUTE = 60_000;
const IDLE_MS = 30 * MINUTE;
const ABSOLUTE_MS = 12 * 60 * MINUTE;
const REMEMBER_MS = 14 * 24 * 60 * MINUTE;
/** NODE_ENV=test: the cookie is not Secure, so its default name has no prefix. */
const COOKIE = 'sid';
const CLEARED = `${COOKIE}=; Path=/; Expires=Thu, 01 Jan 1970 00:00:00 GMT; HttpOnly; SameSite=Lax`;
const NEW_PASSWORD = 'a completely new passphrase';

const NOT_AUTHENTICATED = { statusCode: 401, error: 'Unauthorized', message: 'Not authenticated' };
const SESSION_EXPIRED = { statusCode: 401, error: 'Unauthorized', message: 'Session expired' };
const INVALID_CREDENTIALS = { statusCode: 401, error: 'Unauthorized', message: 'Invalid email or password' };
const WRONG_PASSWORD = { statusCode: 403, error: 'Forbidden', message: 'Current password is wrong' };
const RESET_REQUESTED = { message: 'If that email is registered, a reset link is on its way' };
const INVALID_RESET = { statusCode: 400, error: 'Bad Request', message: 'Invalid or expired reset link' };
const INVALID_VERIFY = { statusCode: 400, error: 'Bad Request', message: 'Invalid or expired verification link' };
const badRequest = (message: string[]) => ({ statusCode: 400, error: 'Bad Request', message });

const ISO = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const userJson = (email: string, displayName: string, emailVerifiedAt: unknown = null) => ({
  id: expect.stringMatching(UUID),
  email,
  displayName,
  createdAt: expect.stringMatching(ISO),
  lastLoginAt: expect.stringMatching(ISO),
  emailVerifiedAt,
});

let services: Services;
let inProcess: InProcessApp;
let redis: TestRedis;

/** The mails the app's worker hands to SMTP (mail-outbox.ts). */
let mail: CapturedMail;

beforeAll(async () => {
  services = await startServices();
  inProcess = await startInProcessApp(services, {
    SESSION_IDLE_TIMEOUT: '30m',
    SESSION_ABSOLUTE_TIMEOUT: '12h',
    SESSION_REMEMBER_TIMEOUT: '14d',
    PASSWORD_MIN_LENGTH: '12',
  });
  redis = await connectRedis(services.redisUrl);
  mail = captureMail(inProcess.app);
}, 60_000);
afterAll(async () => {
  await redis?.close();
  await inProcess?.close();
  await services?.stop();
});

/** The token in the nth mail of this kind to `email`, once the worker has sent it. */
async function mailedToken(email: string, template: MailTemplate, nth = 1): Promise<string> {
  const sent = await mail.once(`send mail ${nth} (${template}) to ${email}`, () =>
    mail.outbox.filter((m) => m.to === email && m.template === template).at(nth - 1),
  );
  const link = new URL(sent.context.link);
  const page = template === 'password-reset' ? '/reset-password' : '/verify-email';
  expect(link.origin + link.pathname).toBe(inProcess.target.baseUrl + page); // PUBLIC_ORIGIN
  const token = link.searchParams.get('token')!;
  expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/); // 256 bits, base64url
  return token;
}

/** Every response body any client of this file received: none may ever hold a password hash. */
const bodies: string[] = [];

/** A client (from `localAddress`, when given) that records the bodies it receives. */
function client(userAgent?: string, localAddress?: string): Client {
  const c = new Client(inProcess.target, userAgent, localAddress);
  const send = c.send.bind(c);
  c.send = async (...args) => {
    const res = await send(...args);
    bodies.push(res.body);
    return res;
  };
  return c;
}

/** Registers a new user on a new client, which is then signed in. */
async function register(localAddress?: string) {
  const c = client(undefined, localAddress);
  const user = newUser();
  const res = await c.post('/api/auth/register', user);
  if (res.status !== 201) throw new Error(`register failed: ${res.status} ${res.body}`);
  return { client: c, user, json: res.json<{ id: string }>() };
}

let nextAddress = 1;
/** Registers from a loopback address no other test uses, so the verification mail is sent. */
function registerMailed() {
  return register(`127.0.3.${nextAddress++}`);
}

async function signIn(email: string, password: string, userAgent?: string): Promise<Client> {
  const c = client(userAgent);
  const res = await c.post('/api/auth/login', { email, password });
  expect(res.status).toBe(200);
  return c;
}

async function sessionId(c: Client): Promise<string> {
  return sessionIdOfCookieValue((await c.cookie(COOKIE))!.value);
}

/** The public handle of a session (docs/sessions.md, The devices list): a SHA-256 of its id. */
const handleOf = (id: string) => createHash('sha256').update(id).digest('hex');

/** A client holding a copy of another's cookie: the same session, as an attacker who stole it would. */
async function copyOf(c: Client): Promise<Client> {
  const copy = client();
  await copy.jar.setCookie(`${COOKIE}=${(await c.cookie(COOKIE))!.value}; Path=/`, inProcess.target.baseUrl);
  return copy;
}

async function expectSessionExpired(c: Client): Promise<void> {
  const res = await c.get('/api/profile');
  expect([res.status, res.json()]).toEqual([401, SESSION_EXPIRED]);
  expect(res.setCookies).toEqual([CLEARED]);
}

describe('POST /api/auth/register', () => {
  it('answers 201 with the user, email lower-cased, and signs the new user in', async () => {
    const c = client();
    const user = newUser({ email: `Mixed.Case-${Date.now()}@Example.COM` });
    const res = await c.post('/api/auth/register', user);
    expect([res.status, res.json()]).toEqual([201, userJson(user.email.toLowerCase(), user.displayName)]);
    expect(res.body).not.toMatch(/argon2|password/i);
    expect(res.setCookies).toEqual([expect.stringMatching(new RegExp(`^${COOKIE}=s%3A[^;]+; Path=/; HttpOnly; SameSite=Lax$`))]);
    const profile = await c.get('/api/profile');
    expect([profile.status, profile.json()]).toEqual([200, res.json()]);
  });

  it('answers 409 for an email already taken, in any letter case, and starts no session', async () => {
    const { user } = await register();
    const res = await client().post('/api/auth/register', { ...newUser(), email: user.email.toUpperCase() });
    expect([res.status, res.json()]).toEqual([409, { statusCode: 409, error: 'Conflict', message: 'Email is already registered' }]);
    expect(res.setCookies).toEqual([]);
  });

  it.each([
    ['an invalid email', { email: 'not-an-email' }, ['email must be an email address']],
    ['a password below PASSWORD_MIN_LENGTH', { password: 'elevenchars' }, ['password must be at least 12 characters']],
    ['a password over 128 characters', { password: 'p'.repeat(129) }, ['password must be shorter than or equal to 128 characters']],
    ['a blank displayName', { displayName: '   ' }, ['displayName must be longer than or equal to 1 characters']],
    ['a displayName over 80 characters', { displayName: 'n'.repeat(81) }, ['displayName must be shorter than or equal to 80 characters']],
    // Postgres cannot store a NUL: unrefused, it would be a 500.
    ['a displayName with a NUL', { displayName: 'Bad\u0000Name' }, ['displayName must not contain control characters']],
    ['a missing field', { displayName: undefined }, ['displayName must be a string']],
    ['an email that is not a string', { email: 42 }, ['email must be an email address']],
    ['an unknown field', { isAdmin: true }, ['property isAdmin should not exist']],
  ])('answers 400 for %s, and starts no session', async (_case, change, message) => {
    const user = { ...newUser(), ...change };
    const res = await client().post('/api/auth/register', user);
    expect([res.status, res.json()]).toEqual([400, badRequest(message)]);
    expect(res.setCookies).toEqual([]);
  });
});

describe('POST /api/auth/login', () => {
  it('answers 200 with the user on a new session id; the old id is dead (no fixation)', async () => {
    const { client: c, user } = await register();
    const before = await copyOf(c);
    const oldId = await sessionId(c);
    const res = await c.post('/api/auth/login', { email: ` ${user.email.toUpperCase()} `, password: user.password });
    expect([res.status, res.json()]).toEqual([200, userJson(user.email, user.displayName)]);
    expect(await sessionId(c)).not.toBe(oldId);
    expect(await redis.exists(`sess:${oldId}`)).toBe(0);
    expect((await c.get('/api/profile')).status).toBe(200);
    await expectSessionExpired(before);
  });

  it('answers the same 401 for a wrong password and for an unknown email, and starts no session', async () => {
    const { user } = await register();
    const wrong = await client().post('/api/auth/login', { email: user.email, password: 'not the password at all' });
    const unknown = await client().post('/api/auth/login', { email: newUser().email, password: 'not the password at all' });
    for (const res of [wrong, unknown]) {
      expect([res.status, res.json()]).toEqual([401, INVALID_CREDENTIALS]);
      expect(res.setCookies).toEqual([]);
    }
    expect(wrong.body).toBe(unknown.body);
  });

  it.each([
    ['no body', undefined, ['email must be an email address', 'password must be a string']],
    ['a bad email', { email: 'x', password: 'p' }, ['email must be an email address']],
    ['no password', { email: 'a@example.com' }, ['password must be a string']],
    ['an empty password', { email: 'a@example.com', password: '' }, ['password must be longer than or equal to 1 characters']],
    ['a non-boolean rememberMe', { email: 'a@example.com', password: 'p', rememberMe: 'yes' }, ['rememberMe must be a boolean value']],
    ['an unknown field', { email: 'a@example.com', password: 'p', admin: true }, ['property admin should not exist']],
  ])('answers 400 for %s', async (_case, body, message) => {
    const res = await client().post('/api/auth/login', body);
    expect([res.status, res.json()]).toEqual([400, badRequest(message)]);
    expect(res.setCookies).toEqual([]);
  });

  it('keeps a compact record in Redis under the session id, expiring with the idle timeout', async () => {
    const { client: c, user } = await register();
    expect((await c.post('/api/auth/login', { email: user.email, password: user.password })).status).toBe(200);
    const id = await sessionId(c);
    const ttl = await redis.ttl(`sess:${id}`);
    expect(ttl).toBeGreaterThan(IDLE_MS / 1_000 - 60);
    expect(ttl).toBeLessThanOrEqual(IDLE_MS / 1_000);
    // The compact record (session-record.ts): the user's id, the clock, the stamp, the device, the handle;
    // no copy of profile data and no cookie attributes (they are configuration).
    const stored = JSON.parse((await redis.get(`sess:${id}`))!);
    expect(Object.keys(stored).sort()).toEqual(['a', 'c', 'h', 'i', 'k', 'l', 'm', 'p', 'u']);
    expect(stored.u).toEqual(expect.stringMatching(UUID));
  });

  it('with rememberMe, sets a persistent cookie that lasts exactly as long as the session', async () => {
    const { user } = await register();
    const c = client();
    expect((await c.post('/api/auth/login', { email: user.email, password: user.password, rememberMe: true })).status).toBe(200);
    const session = (await c.get('/api/session')).json<{ createdAt: string; absoluteExpiresAt: string }>();
    expect(session).toMatchObject({ idleExpiresAt: null, rememberMe: true });
    const expires = Date.parse(session.absoluteExpiresAt);
    expect(expires - Date.parse(session.createdAt)).toBe(REMEMBER_MS);
    // Expires is written in whole seconds.
    const cookieExpires = (await c.cookie(COOKIE))!.expiryTime() ?? Infinity;
    expect(Math.abs(cookieExpires - expires)).toBeLessThan(1_000);
  });
});

describe('POST /api/auth/logout', () => {
  it('answers 204, deletes the session from Redis and clears the cookie with the same name and path', async () => {
    const { client: c } = await register();
    const id = await sessionId(c);
    const stolen = await copyOf(c);
    expect(await redis.exists(`sess:${id}`)).toBe(1);

    const res = await c.post('/api/auth/logout');
    expect([res.status, res.body, res.setCookies]).toEqual([204, '', [CLEARED]]);
    expect(await c.cookie(COOKIE)).toBeUndefined();
    expect(await redis.exists(`sess:${id}`)).toBe(0);
    const after = await c.get('/api/profile');
    expect([after.status, after.json()]).toEqual([401, NOT_AUTHENTICATED]);
    await expectSessionExpired(stolen); // the cookie still verifies, its session is gone
  });

  it('answers 204 with a clearing cookie also when not signed in, or when the session is already gone', async () => {
    const { client: c } = await register();
    const stale = await copyOf(c);
    expect((await c.post('/api/auth/logout')).status).toBe(204);
    for (const res of [await client().post('/api/auth/logout'), await stale.post('/api/auth/logout')]) {
      expect([res.status, res.body, res.setCookies]).toEqual([204, '', [CLEARED]]);
    }
  });
});

describe('GET /api/session', () => {
  it('describes the current session under its public handle, with its timeouts', async () => {
    const before = Date.now();
    const { client: c } = await register();
    const res = await c.get('/api/session');
    expect([res.status, res.json()]).toEqual([
      200,
      {
        id: handleOf(await sessionId(c)),
        createdAt: expect.stringMatching(ISO),
        lastSeenAt: expect.stringMatching(ISO),
        idleExpiresAt: expect.stringMatching(ISO),
        absoluteExpiresAt: expect.stringMatching(ISO),
        rememberMe: false,
        methods: ['password'],
        sudoExpiresAt: expect.stringMatching(ISO),
      },
    ]);
    const session = res.json<Record<'createdAt' | 'lastSeenAt' | 'idleExpiresAt' | 'absoluteExpiresAt', string>>();
    const [createdAt, lastSeenAt] = [Date.parse(session.createdAt), Date.parse(session.lastSeenAt)];
    expect(createdAt).toBeGreaterThanOrEqual(before);
    expect(lastSeenAt).toBe(createdAt);
    expect(Date.parse(session.idleExpiresAt) - lastSeenAt).toBe(IDLE_MS);
    expect(Date.parse(session.absoluteExpiresAt) - createdAt).toBe(ABSOLUTE_MS);
    expect(res.body).not.toContain(await sessionId(c));
  });
});

describe('GET /api/sessions', () => {
  it("lists the user's live sessions, the current one first, with address and device", async () => {
    const { client: laptop, user } = await register();
    const chrome = 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36';
    const phone = await signIn(user.email, user.password, chrome);
    const other = await register(); // someone else's sessions are not listed

    const res = await phone.get('/api/sessions');
    const item = (id: string, current: boolean, userAgent: unknown, device: string) => ({
      id: handleOf(id),
      current,
      createdAt: expect.stringMatching(ISO),
      lastSeenAt: expect.stringMatching(ISO),
      expiresAt: expect.stringMatching(ISO),
      ip: '127.0.0.1',
      userAgent,
      device,
      methods: ['password'],
    });
    expect([res.status, res.json()]).toEqual([
      200,
      [
        item(await sessionId(phone), true, '(X11; Linux x86_64) Chrome/131.0.0.0', 'Chrome on Linux'),
        item(await sessionId(laptop), false, expect.stringMatching(/^gatehouse-e2e\//), 'Unknown device'),
      ],
    ]);
    for (const listed of res.json<{ lastSeenAt: string; expiresAt: string }[]>()) {
      expect(Date.parse(listed.expiresAt) - Date.parse(listed.lastSeenAt)).toBe(IDLE_MS);
    }
    // The same handle as GET /api/session, seen from the other device, which is now listed first.
    const fromLaptop = (await laptop.get('/api/sessions')).json<{ id: string; current: boolean }[]>();
    expect(fromLaptop.map(({ id, current }) => [id, current])).toEqual([
      [(await laptop.get('/api/session')).json<{ id: string }>().id, true],
      [handleOf(await sessionId(phone)), false],
    ]);
    expect((await other.client.get('/api/sessions')).json<unknown[]>()).toHaveLength(1);
  });
});

describe('DELETE /api/sessions/:id', () => {
  it("answers 204 and signs that other device out; the caller's session stays", async () => {
    const { client: laptop, user } = await register();
    const phone = await signIn(user.email, user.password);
    const phoneId = await sessionId(phone);

    const res = await laptop.delete(`/api/sessions/${handleOf(phoneId)}`);
    expect([res.status, res.body]).toEqual([204, '']);
    expect(await redis.exists(`sess:${phoneId}`)).toBe(0);
    await expectSessionExpired(phone);
    const left = (await laptop.get('/api/sessions')).json<{ current: boolean }[]>();
    expect(left.map(({ current }) => current)).toEqual([true]);
  });

  it("answers 204 for the caller's own session too, whose next request is 401", async () => {
    const { client: c } = await register();
    const id = await sessionId(c);
    const res = await c.delete(`/api/sessions/${handleOf(id)}`);
    expect([res.status, res.body]).toEqual([204, '']);
    expect(await redis.exists(`sess:${id}`)).toBe(0); // not written back as the response ended
    await expectSessionExpired(c);
  });

  it("answers 404 for an unknown handle and for another user's session, which stays signed in", async () => {
    const { client: mine } = await register();
    const { client: theirs } = await register();
    for (const handle of [handleOf('no such session'), 'not-even-a-handle', handleOf(await sessionId(theirs)), await sessionId(theirs)]) {
      const res = await mine.delete(`/api/sessions/${handle}`);
      expect([res.status, res.json()]).toEqual([404, { statusCode: 404, error: 'Not Found', message: 'Session not found' }]);
    }
    expect((await theirs.get('/api/session')).status).toBe(200);
    expect((await mine.get('/api/session')).status).toBe(200);
  });
});

describe('DELETE /api/sessions', () => {
  it('answers 204 and signs out every other session of the user, and no one else', async () => {
    const { client: laptop, user } = await register();
    const phone = await signIn(user.email, user.password);
    const tablet = await signIn(user.email, user.password);
    const { client: stranger } = await register();

    const res = await laptop.delete('/api/sessions');
    expect([res.status, res.body]).toEqual([204, '']);
    for (const device of [phone, tablet]) await expectSessionExpired(device);
    expect((await laptop.get('/api/sessions')).json<{ current: boolean }[]>().map(({ current }) => current)).toEqual([true]);
    expect((await stranger.get('/api/session')).status).toBe(200);
  });
});

describe('GET and PATCH /api/profile', () => {
  it('renames the user (trimmed): 200 with the user, and GET shows the new name', async () => {
    const { client: c, user } = await register();
    const before = await c.get('/api/profile');
    expect([before.status, before.json()]).toEqual([200, userJson(user.email, user.displayName)]);

    const res = await c.patch('/api/profile', { displayName: '  Ada Lovelace ' });
    expect([res.status, res.json()]).toEqual([200, { ...before.json<object>(), displayName: 'Ada Lovelace' }]);
    expect((await c.get('/api/profile')).json()).toEqual(res.json());
  });

  it.each([
    ['an empty displayName', { displayName: '' }, ['displayName must be longer than or equal to 1 characters']],
    ['a displayName over 80 characters', { displayName: 'n'.repeat(81) }, ['displayName must be shorter than or equal to 80 characters']],
    ['a displayName with a control character', { displayName: 'tab\there' }, ['displayName must not contain control characters']],
    ['a displayName with a NUL', { displayName: 'Fuzz\u0000' }, ['displayName must not contain control characters']],
    ['no displayName', {}, ['displayName must be a string']],
    ['an unknown field', { displayName: 'Eve', email: 'eve@example.com' }, ['property email should not exist']],
  ])('answers 400 for %s and keeps the name', async (_case, body, message) => {
    const { client: c, user } = await register();
    const res = await c.patch('/api/profile', body);
    expect([res.status, res.json()]).toEqual([400, badRequest(message)]);
    expect((await c.get('/api/profile')).json()).toEqual(userJson(user.email, user.displayName));
  });
});

describe('PUT /api/profile/password', () => {
  it('answers 204: the other sessions are signed out, this one goes on under a new id, the new password works', async () => {
    const { client: c, user } = await register();
    const phone = await signIn(user.email, user.password);
    const oldId = await sessionId(c);
    const stolen = await copyOf(c);

    const res = await c.put('/api/profile/password', { currentPassword: user.password, newPassword: NEW_PASSWORD });
    expect([res.status, res.body]).toEqual([204, '']);
    expect(await sessionId(c)).not.toBe(oldId);
    expect((await c.get('/api/profile')).status).toBe(200);
    await expectSessionExpired(phone);
    await expectSessionExpired(stolen);
    expect((await c.get('/api/sessions')).json<unknown[]>()).toHaveLength(1);

    const old = await client().post('/api/auth/login', { email: user.email, password: user.password });
    expect([old.status, old.json()]).toEqual([401, INVALID_CREDENTIALS]);
    await signIn(user.email, NEW_PASSWORD);
  });

  it('answers 403 for a wrong current password and changes nothing', async () => {
    const { client: c, user } = await register();
    const phone = await signIn(user.email, user.password);
    const res = await c.put('/api/profile/password', { currentPassword: 'not the password at all', newPassword: NEW_PASSWORD });
    expect([res.status, res.json()]).toEqual([403, WRONG_PASSWORD]);
    expect(res.setCookies).toEqual([]);
    for (const device of [c, phone]) expect((await device.get('/api/profile')).status).toBe(200);
    await signIn(user.email, user.password);
  });

  it.each([
    ['a new password below PASSWORD_MIN_LENGTH', { newPassword: 'elevenchars' }, ['newPassword must be at least 12 characters']],
    [
      'a new password over 128 characters',
      { newPassword: 'p'.repeat(129) },
      ['newPassword must be shorter than or equal to 128 characters'],
    ],
    ['no current password', { currentPassword: undefined }, ['currentPassword must be a string']],
  ])('answers 400 for %s and keeps the password and the sessions', async (_case, change, message) => {
    const { client: c, user } = await register();
    const phone = await signIn(user.email, user.password);
    const res = await c.put('/api/profile/password', { currentPassword: user.password, newPassword: NEW_PASSWORD, ...change });
    expect([res.status, res.json()]).toEqual([400, badRequest(message)]);
    expect((await phone.get('/api/profile')).status).toBe(200);
  });
});

describe('DELETE /api/profile', () => {
  it('answers 204: the account, every session and token of it are gone, the cookie cleared, the email free again', async () => {
    const { client: c, user, json } = await registerMailed();
    const phone = await signIn(user.email, user.password);
    const token = await mailedToken(user.email, 'verify-email'); // issued, so stored
    const db = inProcess.app.get(DataSource);
    const rows = async () => ({
      users: await db.query(`SELECT count(*)::int AS n FROM users WHERE id = $1`, [json.id]),
      tokens: await db.query(`SELECT count(*)::int AS n FROM account_tokens WHERE user_id = $1`, [json.id]),
    });
    // Both session records and the user's session index.
    const keys = [`sess:${await sessionId(c)}`, `sess:${await sessionId(phone)}`, `user-sessions:${json.id}`];
    expect(await rows()).toEqual({ users: [{ n: 1 }], tokens: [{ n: 1 }] });
    expect(await redis.exists(keys)).toBe(3);

    const res = await c.send('DELETE', '/api/profile', { password: user.password });
    expect([res.status, res.body, res.setCookies]).toEqual([204, '', [CLEARED]]);
    expect(await c.cookie(COOKIE)).toBeUndefined();
    expect(await rows()).toEqual({ users: [{ n: 0 }], tokens: [{ n: 0 }] });
    expect(await redis.exists(keys)).toBe(0);
    await expectSessionExpired(phone);
    expect((await client().post('/api/auth/verify-email', { token })).json()).toEqual(INVALID_VERIFY);
    const login = await client().post('/api/auth/login', { email: user.email, password: user.password });
    expect([login.status, login.json()]).toEqual([401, INVALID_CREDENTIALS]);
    expect((await client().post('/api/auth/register', user)).status).toBe(201);
  });

  it('answers 403 for a wrong password, and keeps the account and the session', async () => {
    const { client: c } = await register();
    const wrong = await c.send('DELETE', '/api/profile', { password: 'not the password at all' });
    expect([wrong.status, wrong.json(), wrong.setCookies]).toEqual([403, WRONG_PASSWORD, []]);
    expect((await c.get('/api/profile')).status).toBe(200);
  });

  it.each([
    ['no body', undefined, ['password must be a string']],
    ['no password', {}, ['password must be a string']],
    ['an empty password', { password: '' }, ['password must be longer than or equal to 1 characters']],
    ['a password that is not a string', { password: 42 }, ['password must be a string']],
    ['an unknown property', { password: 'x', also: 1 }, ['property also should not exist']],
  ])('answers 400 for %s, and keeps the account', async (_case, body, message) => {
    const { client: c } = await register();
    const res = await c.send('DELETE', '/api/profile', body);
    expect([res.status, res.json(), res.setCookies]).toEqual([400, badRequest(message), []]);
    expect((await c.get('/api/profile')).status).toBe(200);
  });
});

describe('POST /api/auth/password-reset', () => {
  it('answers the same 202 for a registered and an unknown email; only the registered one is mailed', async () => {
    const { user } = await register();
    const unknown = newUser().email;
    const answers = [];
    // Normalised as at registration: the mail goes to the stored, lower-cased address.
    for (const email of [` ${user.email.toUpperCase()} `, unknown]) {
      const res = await client().post('/api/auth/password-reset', { email });
      expect([res.status, res.json(), res.setCookies]).toEqual([202, RESET_REQUESTED, []]);
      answers.push(res.body);
    }
    expect(answers[0]).toBe(answers[1]);
    await mailedToken(user.email, 'password-reset');
    await mail.once('handle the request for the unknown email', () =>
      mail.handled.find((job) => job.kind === 'password-reset' && job.email === unknown),
    );
    expect(mail.outbox.filter((m) => m.to === unknown)).toEqual([]);
  });

  it('answers 400 for a body that is not an email', async () => {
    const res = await client().post('/api/auth/password-reset', { email: 'not-an-email' });
    expect([res.status, res.json()]).toEqual([400, badRequest(['email must be an email address'])]);
  });
});

describe('POST /api/auth/password-reset/confirm', () => {
  it('answers 204 with the mailed token: new password, every session revoked, the link spent, the email verified', async () => {
    const { client: laptop, user } = await register();
    const phone = await signIn(user.email, user.password);
    expect((await client().post('/api/auth/password-reset', { email: user.email })).status).toBe(202);
    const token = await mailedToken(user.email, 'password-reset');

    // A refused password leaves the link working (docs/security.md, Account recovery).
    const short = await client().post('/api/auth/password-reset/confirm', { token, newPassword: 'short' });
    expect([short.status, short.json()]).toEqual([400, badRequest(['newPassword must be at least 12 characters'])]);
    const res = await client().post('/api/auth/password-reset/confirm', { token, newPassword: NEW_PASSWORD });
    expect([res.status, res.body, res.setCookies]).toEqual([204, '', []]);

    for (const device of [laptop, phone]) await expectSessionExpired(device);
    const again = await client().post('/api/auth/password-reset/confirm', { token, newPassword: 'yet another passphrase' });
    expect([again.status, again.json()]).toEqual([400, INVALID_RESET]);
    const old = await client().post('/api/auth/login', { email: user.email, password: user.password });
    expect([old.status, old.json()]).toEqual([401, INVALID_CREDENTIALS]);
    const fresh = await signIn(user.email, NEW_PASSWORD);
    expect((await fresh.get('/api/profile')).json()).toEqual(userJson(user.email, user.displayName, expect.stringMatching(ISO)));
  });

  it('spends every outstanding reset link of the user', async () => {
    const { user } = await register();
    for (let i = 0; i < 2; i++) expect((await client().post('/api/auth/password-reset', { email: user.email })).status).toBe(202);
    const [first, second] = [await mailedToken(user.email, 'password-reset', 1), await mailedToken(user.email, 'password-reset', 2)];
    expect(first).not.toBe(second);
    expect((await client().post('/api/auth/password-reset/confirm', { token: second, newPassword: NEW_PASSWORD })).status).toBe(204);
    const res = await client().post('/api/auth/password-reset/confirm', { token: first, newPassword: 'yet another passphrase' });
    expect([res.status, res.json()]).toEqual([400, INVALID_RESET]);
    await signIn(user.email, NEW_PASSWORD);
  });

  it('refuses a link issued before the password was changed', async () => {
    const { client: c, user } = await register();
    expect((await client().post('/api/auth/password-reset', { email: user.email })).status).toBe(202);
    const token = await mailedToken(user.email, 'password-reset');
    expect((await c.put('/api/profile/password', { currentPassword: user.password, newPassword: NEW_PASSWORD })).status).toBe(204);
    const res = await client().post('/api/auth/password-reset/confirm', { token, newPassword: 'yet another passphrase' });
    expect([res.status, res.json()]).toEqual([400, INVALID_RESET]);
    await signIn(user.email, NEW_PASSWORD);
  });

  it.each([
    ['an unknown token', { token: 'A'.repeat(43), newPassword: NEW_PASSWORD }, INVALID_RESET],
    ['an empty token', { token: '', newPassword: NEW_PASSWORD }, INVALID_RESET],
    ['no token', { newPassword: NEW_PASSWORD }, badRequest(['token must be a string'])],
    [
      'a token over 256 characters',
      { token: 'A'.repeat(257), newPassword: NEW_PASSWORD },
      badRequest(['token must be shorter than or equal to 256 characters']),
    ],
  ])('answers 400 for %s', async (_case, body, expected) => {
    const res = await client().post('/api/auth/password-reset/confirm', body);
    expect([res.status, res.json()]).toEqual([400, expected]);
  });
});

describe('POST /api/auth/verify-email', () => {
  it("answers 204 with the registration mail's token: emailVerifiedAt is set, the link spent, a resend is 409", async () => {
    const { client: c, user } = await registerMailed();
    const token = await mailedToken(user.email, 'verify-email');
    expect((await c.get('/api/profile')).json()).toEqual(userJson(user.email, user.displayName, null));

    const res = await client().post('/api/auth/verify-email', { token }); // the link works in any browser
    expect([res.status, res.body]).toEqual([204, '']);
    const verified = (await c.get('/api/profile')).json<{ emailVerifiedAt: string }>();
    expect(verified).toEqual(userJson(user.email, user.displayName, expect.stringMatching(ISO)));

    const again = await client().post('/api/auth/verify-email', { token });
    expect([again.status, again.json()]).toEqual([400, INVALID_VERIFY]);
    expect((await c.get('/api/profile')).json()).toEqual(verified); // the date does not move
    const resend = await c.post('/api/auth/verify-email/resend');
    expect([resend.status, resend.json()]).toEqual([409, { statusCode: 409, error: 'Conflict', message: 'Email is already verified' }]);
  });

  it('resend answers 202 and mails a new link; using it spends the older one', async () => {
    const { client: c, user } = await registerMailed();
    const first = await mailedToken(user.email, 'verify-email', 1);
    const resend = await c.post('/api/auth/verify-email/resend');
    expect([resend.status, resend.json()]).toEqual([202, { message: 'A new verification link is on its way' }]);
    const second = await mailedToken(user.email, 'verify-email', 2);
    expect(second).not.toBe(first);

    expect((await client().post('/api/auth/verify-email', { token: second })).status).toBe(204);
    const older = await client().post('/api/auth/verify-email', { token: first });
    expect([older.status, older.json()]).toEqual([400, INVALID_VERIFY]);
  });

  it('resend answers 429 with Retry-After once the email has had its 5 mails of the hour, the registration mail included', async () => {
    const { client: c, user } = await registerMailed();
    // The worker counts a mail when it sends it: each is waited for, so the count is certain.
    await mailedToken(user.email, 'verify-email', 1);
    for (let nth = 2; nth <= 5; nth++) {
      expect((await c.post('/api/auth/verify-email/resend')).status).toBe(202);
      await mailedToken(user.email, 'verify-email', nth);
    }
    const res = await c.post('/api/auth/verify-email/resend');
    expect([res.status, res.json()]).toEqual([
      429,
      { statusCode: 429, error: 'Too Many Requests', message: 'Too many mails requested for this email; try again later' },
    ]);
    expect(Number(res.headers['retry-after'])).toBeGreaterThan(55 * 60); // the hour's window, just opened
  });

  it.each([
    ['an unknown token', { token: 'A'.repeat(43) }, INVALID_VERIFY],
    ['no token', {}, badRequest(['token must be a string'])],
  ])('answers 400 for %s', async (_case, body, expected) => {
    const res = await client().post('/api/auth/verify-email', body);
    expect([res.status, res.json()]).toEqual([400, expected]);
  });
});

const asForm = (fields: Record<string, string>) => new URLSearchParams(fields).toString();
const asJsonText = (fields: Record<string, string>) => JSON.stringify(fields);

describe('the JSON API as a whole', () => {
  // A cross-site HTML form or a preflight-free fetch can send these types, never JSON (body-guard.ts).
  it.each([
    ['a form-encoded body', { 'content-type': 'application/x-www-form-urlencoded' }, asForm],
    ['a text/plain body holding JSON', { 'content-type': 'text/plain' }, asJsonText],
    ['a body without Content-Type', {}, asJsonText],
  ])('refuses %s with 415, even with the right credentials', async (_case, headers, encode) => {
    const { client: c, user } = await register();
    const unsupported = {
      statusCode: 415,
      error: 'Unsupported Media Type',
      message: 'Request body must be JSON (Content-Type: application/json)',
    };

    const login = await client().post('/api/auth/login', encode({ email: user.email, password: user.password }), headers);
    expect([login.status, login.json(), login.setCookies]).toEqual([415, unsupported, []]);
    const rename = await c.send('PATCH', '/api/profile', encode({ displayName: 'Mallory' }), headers);
    expect([rename.status, rename.json()]).toEqual([415, unsupported]);
    expect((await c.get('/api/profile')).json()).toEqual(userJson(user.email, user.displayName));
  });

  it.each([
    ['GET', '/api/profile', undefined],
    ['PATCH', '/api/profile', { displayName: 'Nobody' }],
    ['DELETE', '/api/profile', { password: 'whatever it is' }],
    ['PUT', '/api/profile/password', { currentPassword: 'x', newPassword: NEW_PASSWORD }],
    ['GET', '/api/session', undefined],
    ['GET', '/api/sessions', undefined],
    ['DELETE', '/api/sessions/0123abcd', undefined],
    ['DELETE', '/api/sessions', undefined],
    ['POST', '/api/auth/verify-email/resend', undefined],
  ])('%s %s answers 401 "Not authenticated" without a session, and with a forged cookie', async (method, path, body) => {
    const forger = client();
    await forger.jar.setCookie(`${COOKIE}=s%3Aforged.badsignature; Path=/`, inProcess.target.baseUrl);
    for (const c of [client(), forger]) {
      const res = await c.send(method, path, body);
      expect([res.status, res.json()]).toEqual([401, NOT_AUTHENTICATED]);
      expect(res.headers['cache-control']).toBe('no-store');
    }
  });

  const json = { 'content-type': 'application/json' };

  it.each([
    ['a body that is not JSON', '{"email":', 400, 'Request body is not valid JSON'],
    ['a body over 16 KiB', JSON.stringify({ ...newUser(), displayName: 'x'.repeat(17 * 1024) }), 413, 'Request body exceeds 16 KiB'],
    // Each was once a 500 or silently accepted (body-guard.ts).
    [
      'an array nested 7000 deep',
      `{"email":${'['.repeat(7000)}${']'.repeat(7000)},"password":"x"}`,
      400,
      'Request body is nested more than 32 levels deep',
    ],
    [
      'objects nested 2500 deep',
      `{"email":"a@example.com","password":${'{"a":'.repeat(2500)}1${'}'.repeat(2500)}}`,
      400,
      'Request body is nested more than 32 levels deep',
    ],
    [
      'a __proto__ key',
      '{"__proto__":{"email":"a@example.com"},"email":"a@example.com","password":"x"}',
      400,
      'Request body contains the forbidden key __proto__',
    ],
    [
      'a constructor key',
      '{"email":"a@example.com","password":"x","constructor":{"prototype":{"isAdmin":true}}}',
      400,
      'Request body contains the forbidden key constructor',
    ],
  ])('a login with %s is a JSON %i', async (_case, body, status, message) => {
    const res = await client().post('/api/auth/login', body, json);
    const error = status === 413 ? 'Payload Too Large' : 'Bad Request';
    expect([res.status, res.json(), res.setCookies]).toEqual([status, { statusCode: status, error, message }, []]);
  });

  it('refuses a state-changing request from another site with 403, by Origin or, without one, by Sec-Fetch-Site', async () => {
    const { client: c, user } = await register();
    const res = await c.send('PATCH', '/api/profile', { displayName: 'Mallory' }, { origin: 'https://evil.example' });
    expect([res.status, res.json()]).toEqual([403, { statusCode: 403, error: 'Forbidden', message: 'Cross-site request refused' }]);
    const noOrigin = await request(inProcess.target.baseUrl, {
      method: 'POST',
      path: '/api/auth/logout',
      headers: { 'sec-fetch-site': 'cross-site', cookie: `${COOKIE}=${(await c.cookie(COOKIE))!.value}` },
    });
    expect(noOrigin.status).toBe(403);
    expect((await c.get('/api/profile')).json()).toEqual(userJson(user.email, user.displayName));
  });

  it('answers an unknown route with a JSON 404', async () => {
    const res = await client().get('/api/nope');
    expect([res.status, res.json()]).toEqual([404, { statusCode: 404, error: 'Not Found', message: 'Cannot GET /api/nope' }]);
  });

  it('sends Cache-Control: no-store and no X-Powered-By, signed in or not', async () => {
    const { client: c } = await register();
    for (const res of [await c.get('/api/profile'), await client().get('/api/profile')]) {
      expect(res.headers['cache-control']).toBe('no-store');
      expect(res.headers['x-powered-by']).toBeUndefined();
    }
  });
});

describe('GET /healthz and /readyz', () => {
  it('answer 200; /readyz with Postgres and Redis up', async () => {
    const health = await client().get('/healthz');
    expect([health.status, health.json()]).toEqual([200, { status: 'ok' }]);
    const ready = await client().get('/readyz');
    expect(ready.status).toBe(200);
    expect(ready.json()).toMatchObject({ status: 'ok', details: { postgres: { status: 'up' }, redis: { status: 'up' } } });
  });
});

afterAll(() => {
  // Checked last, over every response of the file.
  expect(bodies.length).toBeGreaterThan(100);
  for (const body of bodies) expect(body).not.toMatch(/\$argon2|password_?hash/i);
});
