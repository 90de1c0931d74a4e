import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { setTimeout as sleep } from 'node:timers/promises';
import { FAILURE_WINDOW_SECONDS } from '../../src/auth/credential-throttle.js';
import { Client, type ClientResponse, type NewUser, signedInClient } from '../../tools/client/client.js';
import { ownAddress } from '../../tools/client/pace.js';
import { connectRedis, sessionIdOf, type TestRedis } from '../../tools/client/redis.js';
import { codeAt, enableTwoStep, STEP_MS } from '../../tools/client/totp.js';
import {
  linkIn,
  RECOVERY_CODES_SUBJECT,
  RESET_SUBJECT,
  tokenOf,
  TOTP_OFF_SUBJECT,
  TOTP_ON_SUBJECT,
  waitForMails,
} from '../support/mail.js';
import { describeNative, startTarget, stopTarget, type Target } from '../support/target.js';

/**
 * Two-step sign-in through nginx (README, Two-step sign-in; docs/sessions.md, Sudo mode): the
 * test is the authenticator, computing each code from the secret the app showed (otpauth, as an
 * authenticator app does, tools/client/totp.ts). Races (two sign-ins with one code) and expiry on
 * a fake clock are the in-process tier's (docs/testing.md); this spec shows the API as a client
 * meets it, with real time steps.
 *
 * Each code works once, so a user has one unused code right after enrolling (enableTwoStep
 * confirms with the step before the current one) and the next only when the next 30-second step
 * begins: each test enrols a user of its own, and only the first test waits for a step.
 */
const COOKIE = '__Host-sid';
const MINUTE = 60_000;
const NEW_PASSWORD = 'a completely new passphrase';

const REASONS: Record<number, string> = { 401: 'Unauthorized', 403: 'Forbidden', 404: 'Not Found', 429: 'Too Many Requests' };
const error = (statusCode: number, message: string) => ({ statusCode, error: REASONS[statusCode], message });
const NOT_AUTHENTICATED = error(401, 'Not authenticated');
const SESSION_EXPIRED = error(401, 'Session expired');
const INVALID_CODE = error(401, 'Invalid code');
const NO_SIGN_IN = error(401, 'No sign-in in progress');
const REAUTHENTICATION_REQUIRED = error(403, 'Re-authentication required');
const INVALID_CREDENTIALS = error(403, 'Invalid credentials');
const SECOND_FACTOR_REQUIRED = { secondFactorRequired: true, methods: ['totp', 'recoveryCode'] };
/** Crockford's base32 (no i, l, o, u), in four groups of six: 120 bits. */
const RECOVERY_CODE = /^[0-9a-hjkmnp-tv-z]{6}(-[0-9a-hjkmnp-tv-z]{6}){3}$/;

const userJson = (user: NewUser) => ({
  id: expect.any(String),
  email: user.email,
  displayName: user.displayName,
  createdAt: expect.any(String),
  lastLoginAt: expect.any(String),
  emailVerifiedAt: null,
});

/**
 * Bodies the code endpoints refuse with 400, never a 500: missing, not a string, empty, too long,
 * nested, an extra property, not JSON at all.
 */
const MALFORMED: [string, unknown][] = [
  ['no code', {}],
  ['a number', { code: 42 }],
  ['null', { code: null }],
  ['empty', { code: '' }],
  ['100 characters', { code: 'x'.repeat(100) }],
  ['an array', { code: ['123456'] }],
  ['an extra property', { code: '123456', extra: true }],
  ['broken JSON', '{"code": "123'],
];

let target: Target;
beforeAll(async () => {
  target = await startTarget();
});
afterAll(async () => {
  await stopTarget(target);
});

/** Status and body together, so that a failure shows both; a body that is not JSON shows as text. */
function answer(res: ClientResponse): [number, unknown] {
  try {
    return [res.status, res.json()];
  } catch {
    return [res.status, res.body];
  }
}

/** A new user, signed in on `client` (in sudo mode: it just signed in), with two-step sign-in on. */
async function twoStepUser() {
  const { client, user } = await signedInClient(target);
  return { client, user, ...(await enableTwoStep(client)) };
}

/** The password step on a new client (from `localAddress`, when given): 202, a pending sign-in. */
async function startSignIn(user: NewUser, localAddress?: string): Promise<Client> {
  const client = new Client(target, undefined, localAddress);
  const res = await client.post('/api/auth/login', { email: user.email, password: user.password });
  expect(answer(res)).toEqual([202, SECOND_FACTOR_REQUIRED]);
  return client;
}

/** The code the authenticator shows now: computed right before it is sent. */
function currentCode(secret: string): string {
  return codeAt(secret, Date.now());
}

/** A six-digit code that no time step near now has: wrong whenever it arrives. */
function wrongCode(secret: string, seed: number): string {
  const near = new Set([-2, -1, 0, 1, 2].map((k) => codeAt(secret, Date.now() + k * STEP_MS)));
  for (let n = seed; ; n++) {
    const code = String(n % 1_000_000).padStart(6, '0');
    if (!near.has(code)) return code;
  }
}

/** Waits for the time step after the one `ms` fell in: the next code the authenticator shows. */
async function nextStepAfter(ms: number): Promise<void> {
  const wait = (Math.floor(ms / STEP_MS) + 1) * STEP_MS - Date.now();
  if (wait > 0) await sleep(wait + 50);
}

async function sessionIdIn(client: Client): Promise<string> {
  return sessionIdOf((await client.cookie(COOKIE))!.value);
}

async function methodsOf(client: Client): Promise<string[]> {
  const res = await client.get('/api/session');
  expect(res.status).toBe(200);
  return res.json<{ methods: string[] }>().methods;
}

async function securityOf(client: Client): Promise<[number, unknown]> {
  return answer(await client.get('/api/profile/security'));
}

describe('two-step sign-in with TOTP', () => {
  it('enrol, then sign in with the password and a code; the code works once; a later code typed with a space works', async () => {
    const { client: enrolling, user } = await signedInClient(target);
    const elsewhere = new Client(target);
    expect((await elsewhere.post('/api/auth/login', { email: user.email, password: user.password })).status).toBe(200);

    const { secret, uri } = await enableTwoStep(enrolling);
    expect(secret).toMatch(/^[A-Z2-7]{32}$/); // 160 bits, base32
    expect(uri).toBe(
      `otpauth://totp/Gatehouse:${user.email.replace('@', '%40')}?secret=${secret}&issuer=Gatehouse&algorithm=SHA1&digits=6&period=30`,
    );
    expect(await securityOf(enrolling)).toEqual([
      200,
      { totp: { enabled: true, enabledAt: expect.any(String) }, recoveryCodesLeft: 10, passkeys: [] },
    ]);
    // Turning it on ended every other session of the user, not the one that turned it on.
    expect(answer(await elsewhere.get('/api/profile'))).toEqual([401, SESSION_EXPIRED]);
    expect((await enrolling.get('/api/profile')).status).toBe(200);

    // The password step: a pending sign-in on a session of its own, signed in nowhere.
    const phone = new Client(target);
    const login = await phone.post('/api/auth/login', { email: user.email, password: user.password });
    expect(answer(login)).toEqual([202, SECOND_FACTOR_REQUIRED]);
    expect(login.setCookies).toEqual([expect.stringMatching(/^__Host-sid=s%3A/)]);
    const pendingId = await sessionIdIn(phone);
    expect(answer(await phone.get('/api/profile'))).toEqual([401, NOT_AUTHENTICATED]);
    expect(answer(await phone.get('/api/session'))).toEqual([401, NOT_AUTHENTICATED]);

    // The second step, with the code of the current step: signed in, on another session id.
    const sentAt = Date.now();
    const code = codeAt(secret, sentAt);
    expect(answer(await phone.post('/api/auth/login/totp', { code }))).toEqual([200, userJson(user)]);
    expect(await sessionIdIn(phone)).not.toBe(pendingId);
    expect(await methodsOf(phone)).toEqual(['password', 'totp']);
    expect(answer(await phone.post('/api/auth/login/totp', { code }))).toEqual([401, NO_SIGN_IN]); // nothing pending now

    // The same code for another pending sign-in: refused, however soon (each code works once).
    const laptop = await startSignIn(user);
    expect(answer(await laptop.post('/api/auth/login/totp', { code }))).toEqual([401, INVALID_CODE]);

    // Malformed bodies are 400, never a 500, and are no wrong codes: sixteen of them leave the
    // pending sign-in alive (five wrong codes would end it).
    for (const route of ['/api/auth/login/totp', '/api/auth/login/recovery-code']) {
      for (const [name, body] of MALFORMED) {
        const res = await laptop.post(route, body, typeof body === 'string' ? { 'content-type': 'application/json' } : {});
        expect([name, route, ...answer(res)]).toEqual([name, route, 400, expect.objectContaining({ statusCode: 400 })]);
      }
    }

    // The next step's code works (one step at most every 30 s), typed with a space as apps show it.
    await nextStepAfter(sentAt);
    const later = currentCode(secret);
    expect(answer(await laptop.post('/api/auth/login/totp', { code: `${later.slice(0, 3)} ${later.slice(3)}` }))).toEqual([
      200,
      userJson(user),
    ]);
    expect(await methodsOf(laptop)).toEqual(['password', 'totp']);

    // No pending sign-in at all.
    expect(answer(await new Client(target).post('/api/auth/login/totp', { code: later }))).toEqual([401, NO_SIGN_IN]);
    expect(answer(await new Client(target).post('/api/auth/login/recovery-code', { code: 'x' }))).toEqual([401, NO_SIGN_IN]);
  }, 120_000);

  it('a code typed with a dash signs in', async () => {
    const { user, secret } = await twoStepUser();
    const client = await startSignIn(user);
    const code = currentCode(secret);
    expect(answer(await client.post('/api/auth/login/totp', { code: `${code.slice(0, 3)}-${code.slice(3)}` }))).toEqual([
      200,
      userJson(user),
    ]);
  });

  it('a recovery code signs in once: methods password and recoveryCode, one code fewer left', async () => {
    const { user, recoveryCodes } = await twoStepUser();
    expect(recoveryCodes).toHaveLength(10);
    for (const code of recoveryCodes) expect(code).toMatch(RECOVERY_CODE);
    expect(new Set(recoveryCodes).size).toBe(10);

    const client = await startSignIn(user);
    const pendingId = await sessionIdIn(client);
    expect(answer(await client.post('/api/auth/login/recovery-code', { code: recoveryCodes[0] }))).toEqual([200, userJson(user)]);
    expect(await sessionIdIn(client)).not.toBe(pendingId);
    expect(await methodsOf(client)).toEqual(['password', 'recoveryCode']);
    expect(await securityOf(client)).toEqual([
      200,
      { totp: { enabled: true, enabledAt: expect.any(String) }, recoveryCodesLeft: 9, passkeys: [] },
    ]);

    const again = await startSignIn(user);
    expect(answer(await again.post('/api/auth/login/recovery-code', { code: recoveryCodes[0] }))).toEqual([401, INVALID_CODE]);
    // The others still work, however typed.
    expect(answer(await again.post('/api/auth/login/recovery-code', { code: recoveryCodes[1].toUpperCase() }))).toEqual([
      200,
      userJson(user),
    ]);
    expect((await securityOf(again))[1]).toMatchObject({ recoveryCodesLeft: 8 });
  });

  it('10 wrong second factors lock the account’s second step: 429 with Retry-After, for the right code too, from any address', async () => {
    const { client: owner, user, secret, recoveryCodes } = await twoStepUser();
    const wrongTotp = (client: Client, i: number) => client.post('/api/auth/login/totp', { code: wrongCode(secret, i * 111_111) });
    const wrongRecovery = (client: Client, i: number) =>
      client.post('/api/auth/login/recovery-code', { code: `zzzzzz-zzzzzz-zzzzzz-zzzzz${i}` });

    // Five wrong codes end a pending sign-in: the sixth meets none, whatever it is.
    const first = await startSignIn(user);
    for (let i = 1; i <= 5; i++) expect(answer(await wrongTotp(first, i))).toEqual([401, INVALID_CODE]);
    expect(answer(await first.post('/api/auth/login/totp', { code: currentCode(secret) }))).toEqual([401, NO_SIGN_IN]);

    // Five more, wrong recovery codes this time, on another pending sign-in: ten in a row for the account.
    const second = await startSignIn(user);
    for (let i = 1; i <= 5; i++) expect(answer(await wrongRecovery(second, i))).toEqual([401, INVALID_CODE]);
    expect(answer(await second.post('/api/auth/login/recovery-code', { code: recoveryCodes[0] }))).toEqual([401, NO_SIGN_IN]);

    // The password still starts a sign-in, from another address too; the second step is locked,
    // whoever asks and with what.
    const third = await startSignIn(user, ownAddress(target));
    const locked = [
      await third.post('/api/auth/login/totp', { code: currentCode(secret) }),
      await third.post('/api/auth/login/recovery-code', { code: recoveryCodes[0] }),
      await owner.post('/api/auth/reauthenticate', { code: currentCode(secret) }),
    ];
    for (const res of locked) {
      expect(answer(res)).toEqual([429, error(429, 'Too many wrong codes; try again later')]);
      const retryAfter = Number(res.headers['retry-after']);
      expect(retryAfter).toBeGreaterThan(0);
      expect(retryAfter).toBeLessThanOrEqual(FAILURE_WINDOW_SECONDS);
    }
    expect(answer(await third.get('/api/profile'))).toEqual([401, NOT_AUTHENTICATED]);
  });

  it('turning it off: 204, other sessions end, the password alone signs in, no recovery codes left', async () => {
    const { client, user, secret } = await twoStepUser();
    const phone = await startSignIn(user);
    expect((await phone.post('/api/auth/login/totp', { code: currentCode(secret) })).status).toBe(200);

    expect((await client.delete('/api/profile/totp')).status).toBe(204);
    expect(answer(await phone.get('/api/profile'))).toEqual([401, SESSION_EXPIRED]);
    expect((await client.get('/api/profile')).status).toBe(200);

    const fresh = new Client(target);
    expect(answer(await fresh.post('/api/auth/login', { email: user.email, password: user.password }))).toEqual([200, userJson(user)]);
    expect(await methodsOf(fresh)).toEqual(['password']);
    expect(await securityOf(client)).toEqual([200, { totp: { enabled: false, enabledAt: null }, recoveryCodesLeft: 0, passkeys: [] }]);
    expect(answer(await client.delete('/api/profile/totp'))).toEqual([404, error(404, 'Two-step sign-in is not on')]);
  });
});

describeNative('two-step sign-in and the stack’s mail and Redis (native stack)', () => {
  let redis: TestRedis;
  beforeAll(async () => {
    redis = await connectRedis(target.stack!.redisUrl);
  });
  afterAll(async () => {
    await redis?.close();
  });

  /** Takes the session out of sudo mode: its last proof (`p` in its Redis record) moved `minutes` back. */
  async function provenAgo(client: Client, minutes: number): Promise<void> {
    const key = `sess:${await sessionIdIn(client)}`;
    const record = JSON.parse((await redis.get(key))!) as { p: number };
    record.p = Date.now() - minutes * MINUTE;
    await redis.set(key, JSON.stringify(record), { KEEPTTL: true });
  }

  it('a password reset leaves the account two-step and signs nobody in; a pending sign-in from before it ends', async () => {
    const { client: owner, user, secret } = await twoStepUser();
    const before = await startSignIn(user);

    expect((await new Client(target).post('/api/auth/password-reset', { email: user.email })).status).toBe(202);
    // Picked by its subject and link: other mails (security notices) go to the same inbox.
    const [mail] = await waitForMails(target.stack!.mailUrl, user.email, RESET_SUBJECT);
    const token = tokenOf(linkIn(mail, target.baseUrl, '/reset-password'));
    const resetting = new Client(target);
    const confirmed = await resetting.post('/api/auth/password-reset/confirm', { token, newPassword: NEW_PASSWORD });
    expect(confirmed.status).toBe(204);
    expect(confirmed.setCookies.filter((line) => line.startsWith(`${COOKIE}=s`))).toEqual([]);
    expect(answer(await resetting.get('/api/profile'))).toEqual([401, NOT_AUTHENTICATED]);
    expect(answer(await owner.get('/api/profile'))).toEqual([401, SESSION_EXPIRED]);

    // The pending sign-in proved the old password: a right code no longer completes it (nor is spent).
    const code = currentCode(secret);
    expect(answer(await before.post('/api/auth/login/totp', { code }))).toEqual([401, NO_SIGN_IN]);

    // The new password is the first of two steps, as the old one was.
    const after = await startSignIn({ ...user, password: NEW_PASSWORD });
    expect(answer(await after.get('/api/profile'))).toEqual([401, NOT_AUTHENTICATED]);
    // (The link was mailed to the address: the reset confirmed it too.)
    expect(answer(await after.post('/api/auth/login/totp', { code }))).toEqual([
      200,
      { ...userJson(user), emailVerifiedAt: expect.any(String) },
    ]);
    expect(await securityOf(after)).toEqual([
      200,
      { totp: { enabled: true, enabledAt: expect.any(String) }, recoveryCodesLeft: 10, passkeys: [] },
    ]);
  });

  it('re-authentication with a TOTP code: sudo mode again on a new id, methods gain totp; the code works once', async () => {
    const { client, secret } = await twoStepUser();
    await provenAgo(client, 16);
    expect(answer(await client.delete('/api/sessions'))).toEqual([403, REAUTHENTICATION_REQUIRED]);
    expect(await methodsOf(client)).toEqual(['password']);

    const before = await sessionIdIn(client);
    const code = currentCode(secret);
    expect((await client.post('/api/auth/reauthenticate', { code })).status).toBe(204);
    expect(await sessionIdIn(client)).not.toBe(before);
    const session = (await client.get('/api/session')).json<{ methods: string[]; sudoExpiresAt: string }>();
    expect(session.methods).toEqual(['password', 'totp']);
    expect(Date.parse(session.sudoExpiresAt)).toBeGreaterThan(Date.now() + 14 * MINUTE);
    expect((await client.delete('/api/sessions')).status).toBe(204);

    await provenAgo(client, 16);
    expect(answer(await client.post('/api/auth/reauthenticate', { code }))).toEqual([403, INVALID_CREDENTIALS]);
    expect(answer(await client.delete('/api/sessions'))).toEqual([403, REAUTHENTICATION_REQUIRED]);
  });

  it('turning it on, new recovery codes and turning it off each mail the owner, with no secret and no code in the mail', async () => {
    const { client, user, secret, recoveryCodes } = await twoStepUser();
    const fresh = (await client.post('/api/profile/recovery-codes', {})).json<{ recoveryCodes: string[] }>().recoveryCodes;
    expect((await client.delete('/api/profile/totp')).status).toBe(204);

    const mailUrl = target.stack!.mailUrl;
    const mails = [
      ...(await waitForMails(mailUrl, user.email, TOTP_ON_SUBJECT)),
      ...(await waitForMails(mailUrl, user.email, RECOVERY_CODES_SUBJECT)),
      ...(await waitForMails(mailUrl, user.email, TOTP_OFF_SUBJECT)),
    ];
    expect(mails).toHaveLength(3);
    const secrets = [secret, ...recoveryCodes, ...fresh].flatMap((code) => [code, code.replace(/-/g, '')]);
    for (const mail of mails) for (const body of [mail.text, mail.html]) for (const code of secrets) expect(body).not.toContain(code);
  });

  it('turning it off needs sudo mode', async () => {
    const { client, user } = await twoStepUser();
    await provenAgo(client, 16);
    expect(answer(await client.delete('/api/profile/totp'))).toEqual([403, REAUTHENTICATION_REQUIRED]);
    expect((await client.post('/api/auth/reauthenticate', { password: user.password })).status).toBe(204);
    expect((await client.delete('/api/profile/totp')).status).toBe(204);
  });
});
