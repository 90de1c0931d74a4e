import { randomBytes } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it, jest } from '@jest/globals';
import { dataKeyId, parseDataKey } from '../../src/crypto/data-encryption.js';
import { sessionIdOfCookieValue } from '../../src/session/session-cookie.js';
import { TwoStepService } from '../../src/two-step/two-step.service.js';
import { Client, signedInClient } from '../../tools/client/client.js';
import { codeAt, enableTwoStep, STEP_MS } from '../../tools/client/totp.js';
import { advanceClock, gate } from '../support/held.js';
import { inProcessSuite, startInProcessApp } from './in-process-app.js';

/**
 * Two-step sign-in on real Postgres and Redis (README, Two-step sign-in). The app's clock (Date)
 * is set by the spec: each test starts one second into a fresh 30-second time step, so the codes
 * it computes are for the steps it chooses, and the five-minute and sudo windows pass without
 * waiting. The replay race is made to happen: one request is held just before it spends its code.
 */

const MINUTE = 60_000;
const KEY = randomBytes(32).toString('base64');
const NOT_AUTHENTICATED = { statusCode: 401, error: 'Unauthorized', message: 'Not authenticated' };
const INVALID_CODE = { statusCode: 401, error: 'Unauthorized', message: 'Invalid code' };
const NO_SIGN_IN = { statusCode: 401, error: 'Unauthorized', message: 'No sign-in in progress' };
const REAUTHENTICATION_REQUIRED = { statusCode: 403, error: 'Forbidden', message: 'Re-authentication required' };

const inProcess = inProcessSuite({ DATA_ENCRYPTION_KEY: KEY });
/** The app's clock: one second into a time step, `steps` steps after the test's first. */
let firstStep: number;
const atStep = (steps: number, plusMs = 0) => advanceClock(firstStep + steps * STEP_MS + 1_000 + plusMs - Date.now());
const now = () => Date.now();

beforeEach(() => {
  jest.useRealTimers();
  firstStep = (Math.floor(Date.now() / STEP_MS) + 1) * STEP_MS;
  atStep(0);
});
afterEach(() => {
  jest.useRealTimers();
  jest.restoreAllMocks();
});

/** A registered user with two-step sign-in on; the enrolling client stays signed in. */
async function twoStepUser() {
  const { client, user, json } = await signedInClient(inProcess.target);
  const { secret, recoveryCodes } = await enableTwoStep(client); // confirmed with the code of the step before
  return { owner: client, user, id: json.id, secret, recoveryCodes };
}

/** A new client whose password step went through: it holds a pending sign-in. */
async function pendingClient(user: { email: string; password: string }, rememberMe = false): Promise<Client> {
  const client = new Client(inProcess.target);
  const res = await client.post('/api/auth/login', { email: user.email, password: user.password, rememberMe });
  expect([res.status, res.json()]).toEqual([202, { secondFactorRequired: true, methods: ['totp', 'recoveryCode'] }]);
  return client;
}

async function sessionId(client: Client): Promise<string | undefined> {
  const cookie = await client.cookie('sid');
  return cookie && sessionIdOfCookieValue(cookie.value);
}

describe('the pending sign-in', () => {
  it('is a new session id that is signed in nowhere', async () => {
    const { user } = await twoStepUser();
    const pending = await pendingClient(user);
    expect(await sessionId(pending)).toBeDefined();

    for (const path of ['/api/profile', '/api/session', '/api/sessions', '/api/profile/security']) {
      const res = await pending.get(path);
      expect([path, res.status, res.json()]).toEqual([path, 401, NOT_AUTHENTICATED]);
    }
    expect((await pending.get('/profile')).headers.location).toMatch(/^\/login/);
  });

  it('a TOTP code completes it on a new session id, keeping rememberMe; methods password + totp', async () => {
    const { user, secret } = await twoStepUser();
    const pending = await pendingClient(user, true);
    const pendingId = await sessionId(pending);

    const res = await pending.post('/api/auth/login/totp', { code: codeAt(secret, now()) });
    expect(res.status).toBe(200);
    expect(res.json<{ email: string }>().email).toBe(user.email);
    expect(await sessionId(pending)).not.toBe(pendingId);
    const session = (await pending.get('/api/session')).json<{ methods: string[]; rememberMe: boolean }>();
    expect(session).toMatchObject({ methods: ['password', 'totp'], rememberMe: true });
    // The pending id is gone: replaying its cookie finds nothing.
    expect((await pending.post('/api/auth/login/totp', { code: codeAt(secret, now()) })).status).toBe(401);
  });

  it('lasts five minutes', async () => {
    const { user, secret } = await twoStepUser();
    const pending = await pendingClient(user);
    atStep(10); // five minutes and a second later
    const res = await pending.post('/api/auth/login/totp', { code: codeAt(secret, now()) });
    expect([res.status, res.json()]).toEqual([401, NO_SIGN_IN]);
  });

  it('ends at the fifth wrong code: the right one then finds no sign-in in progress', async () => {
    const { user, secret } = await twoStepUser();
    const pending = await pendingClient(user);
    const wrong = codeAt(secret, now() + 5 * STEP_MS); // a real code, of a step not yet come
    for (let i = 1; i <= 5; i++) {
      const res = await pending.post('/api/auth/login/totp', { code: wrong });
      expect([i, res.status, res.json()]).toEqual([i, 401, INVALID_CODE]);
    }
    const res = await pending.post('/api/auth/login/totp', { code: codeAt(secret, now()) });
    expect([res.status, res.json()]).toEqual([401, NO_SIGN_IN]);
  });

  it('is ended by a password change meanwhile', async () => {
    const { owner, user, secret } = await twoStepUser();
    const pending = await pendingClient(user);
    atStep(0, 500); // the change is not in the same millisecond as the sign-in (the clock stands still)
    const change = await owner.put('/api/profile/password', { currentPassword: user.password, newPassword: 'another long passphrase' });
    expect(change.status).toBe(204);
    const res = await pending.post('/api/auth/login/totp', { code: codeAt(secret, now()) });
    expect([res.status, res.json()]).toEqual([401, NO_SIGN_IN]);
  });

  it('without one, a code answers 401 "No sign-in in progress"; a malformed body 400', async () => {
    const client = new Client(inProcess.target);
    const res = await client.post('/api/auth/login/totp', { code: '123456' });
    expect([res.status, res.json()]).toEqual([401, NO_SIGN_IN]);
    for (const body of [{}, { code: 123456 }, { code: '' }, { code: 'x'.repeat(65) }, { code: '123456', extra: 1 }]) {
      for (const path of ['/api/auth/login/totp', '/api/auth/login/recovery-code']) {
        expect([path, body, (await client.post(path, body)).status]).toEqual([path, body, 400]);
      }
    }
  });
});

describe('each code works once', () => {
  it('the same TOTP code is refused to a second sign-in, and so is an older step once a newer one was used', async () => {
    const { user, secret } = await twoStepUser();
    const code = codeAt(secret, now());
    expect((await (await pendingClient(user)).post('/api/auth/login/totp', { code })).status).toBe(200);
    const second = await pendingClient(user);
    expect((await second.post('/api/auth/login/totp', { code })).json()).toEqual(INVALID_CODE);
    // The step before is still within the window, but it is not later than the one used.
    expect((await second.post('/api/auth/login/totp', { code: codeAt(secret, now() - STEP_MS) })).json()).toEqual(INVALID_CODE);
    atStep(1);
    expect((await second.post('/api/auth/login/totp', { code: codeAt(secret, now()) })).status).toBe(200);
  });

  it('two sign-ins racing with one code: exactly one gets a session', async () => {
    const { user, secret } = await twoStepUser();
    const [first, second] = [await pendingClient(user), await pendingClient(user)];
    const code = codeAt(secret, now());
    // The first request is held after it found the code right and its step unused, just before it
    // spends the step; the second runs start to finish meanwhile.
    const held = gate();
    const acceptStep = TwoStepService.prototype.acceptStep;
    jest.spyOn(TwoStepService.prototype, 'acceptStep').mockImplementationOnce(async function (this: TwoStepService, ...args) {
      await held.wait();
      return acceptStep.apply(this, args);
    });
    const firstAnswer = first.post('/api/auth/login/totp', { code });
    await held.reached;
    const secondAnswer = await second.post('/api/auth/login/totp', { code });
    held.open();
    const answers = [(await firstAnswer).status, secondAnswer.status];

    expect(answers).toEqual([401, 200]);
    expect((await first.get('/api/session')).status).toBe(401);
    expect((await second.get('/api/session')).status).toBe(200);
  });

  it('a recovery code works once; the count of those left goes down', async () => {
    const { owner, user, recoveryCodes } = await twoStepUser();
    const [code] = recoveryCodes;
    const res = await (await pendingClient(user)).post('/api/auth/login/recovery-code', { code: code.toUpperCase() });
    expect(res.status).toBe(200);
    const again = await (await pendingClient(user)).post('/api/auth/login/recovery-code', { code });
    expect([again.status, again.json()]).toEqual([401, INVALID_CODE]);
    expect((await owner.get('/api/profile/security')).json()).toMatchObject({ recoveryCodesLeft: 9 });
  });

  it('a recovery code signs in with methods password + recoveryCode; another user’s code does not', async () => {
    const { user, recoveryCodes } = await twoStepUser();
    const other = await twoStepUser();
    const pending = await pendingClient(user);
    expect((await pending.post('/api/auth/login/recovery-code', { code: other.recoveryCodes[0] })).json()).toEqual(INVALID_CODE);
    expect((await pending.post('/api/auth/login/recovery-code', { code: recoveryCodes[1] })).status).toBe(200);
    expect((await pending.get('/api/session')).json()).toMatchObject({ methods: ['password', 'recoveryCode'] });
  });
});

describe('turning it on and off', () => {
  it('the secret waits in the session for its first code: a wrong one leaves it waiting, ten minutes at most', async () => {
    const { client } = await signedInClient(inProcess.target);
    const unconfirmed = await client.post('/api/profile/totp/confirm', { code: '123456' });
    expect([unconfirmed.status, unconfirmed.json<{ message: string }>().message]).toEqual([400, 'No two-step sign-in setup in progress']);
    const { secret } = (await client.post('/api/profile/totp', {})).json<{ secret: string }>();
    expect((await client.get('/api/profile/security')).json()).toEqual({
      totp: { enabled: false, enabledAt: null },
      recoveryCodesLeft: 0,
      passkeys: [],
    });
    const wrong = await client.post('/api/profile/totp/confirm', { code: codeAt(secret, now() + 3 * STEP_MS) });
    expect([wrong.status, wrong.json<{ message: string }>().message]).toEqual([400, 'Invalid code']);
    atStep(19); // nine and a half minutes on: still waiting
    expect((await client.post('/api/profile/totp/confirm', { code: codeAt(secret, now() + 3 * STEP_MS) })).status).toBe(400);
    atStep(21); // past ten minutes
    const late = await client.post('/api/profile/totp/confirm', { code: codeAt(secret, now()) });
    expect(late.json<{ message: string }>().message).toBe('No two-step sign-in setup in progress');
  });

  it('is stored encrypted; turning it on ends the other sessions; 409 when on, 404 when off', async () => {
    const { client, user, json } = await signedInClient(inProcess.target);
    const other = new Client(inProcess.target);
    expect((await other.post('/api/auth/login', { email: user.email, password: user.password })).status).toBe(200);
    const { secret, recoveryCodes } = await enableTwoStep(client);
    expect(recoveryCodes).toHaveLength(10);
    expect((await other.get('/api/profile')).status).toBe(401);
    expect((await client.get('/api/profile')).status).toBe(200);

    const { rows } = await inProcess.db.query<{ secret_encrypted: string }>('SELECT secret_encrypted FROM user_totp WHERE user_id = $1', [
      json.id,
    ]);
    expect(rows[0].secret_encrypted).toMatch(new RegExp(`^v1\\.${dataKeyId(parseDataKey(KEY)!)}\\.`));
    expect(rows[0].secret_encrypted).not.toContain(secret);
    const codes = await inProcess.db.query<{ code_hash: Buffer }>('SELECT code_hash FROM recovery_codes WHERE user_id = $1', [json.id]);
    expect(codes.rows).toHaveLength(10);

    expect((await client.post('/api/profile/totp', {})).status).toBe(409);
    const security = (await client.get('/api/profile/security')).json<{ totp: { enabled: boolean; enabledAt: string } }>();
    expect(security.totp.enabled).toBe(true);

    expect((await client.send('DELETE', '/api/profile/totp')).status).toBe(204);
    expect((await client.send('DELETE', '/api/profile/totp')).status).toBe(404);
    expect((await client.post('/api/profile/recovery-codes', {})).status).toBe(404);
    expect((await inProcess.db.query('SELECT 1 FROM recovery_codes WHERE user_id = $1', [json.id])).rows).toHaveLength(0);
    expect((await new Client(inProcess.target).post('/api/auth/login', { email: user.email, password: user.password })).status).toBe(200);
  });

  it('new recovery codes void the old ones', async () => {
    const { owner, user, recoveryCodes } = await twoStepUser();
    const fresh = (await owner.post('/api/profile/recovery-codes', {})).json<{ recoveryCodes: string[] }>().recoveryCodes;
    expect(fresh).toHaveLength(10);
    const pending = await pendingClient(user);
    expect((await pending.post('/api/auth/login/recovery-code', { code: recoveryCodes[0] })).json()).toEqual(INVALID_CODE);
    expect((await pending.post('/api/auth/login/recovery-code', { code: fresh[0] })).status).toBe(200);
  });

  it('every change needs sudo mode: 403 "Re-authentication required" 15 minutes after sign-in', async () => {
    const { owner } = await twoStepUser();
    const { client } = await signedInClient(inProcess.target);
    atStep(31); // 15.5 minutes on
    for (const [method, path] of [
      ['POST', '/api/profile/totp'],
      ['POST', '/api/profile/totp/confirm'],
      ['DELETE', '/api/profile/totp'],
      ['POST', '/api/profile/recovery-codes'],
    ] as const) {
      const res = await (path === '/api/profile/totp' && method === 'POST' ? client : owner).send(method, path, { code: '123456' });
      expect([method, path, res.status, res.json()]).toEqual([method, path, 403, REAUTHENTICATION_REQUIRED]);
    }
    expect((await owner.get('/api/profile/security')).status).toBe(200);
  });
});

describe('re-authentication with a code', () => {
  it('a TOTP code gives sudo mode and a new session id, once; a wrong one is 403 "Invalid credentials"', async () => {
    const { owner, secret } = await twoStepUser();
    atStep(31);
    expect((await owner.send('DELETE', '/api/sessions')).status).toBe(403);
    const before = await sessionId(owner);
    const wrong = await owner.post('/api/auth/reauthenticate', { code: codeAt(secret, now() + 3 * STEP_MS) });
    expect([wrong.status, wrong.json<{ message: string }>().message]).toEqual([403, 'Invalid credentials']);

    const code = codeAt(secret, now());
    expect((await owner.post('/api/auth/reauthenticate', { code })).status).toBe(204);
    expect(await sessionId(owner)).not.toBe(before);
    expect((await owner.get('/api/session')).json()).toMatchObject({ methods: ['password', 'totp'] });
    expect((await owner.send('DELETE', '/api/sessions')).status).toBe(204);
    expect((await owner.post('/api/auth/reauthenticate', { code })).status).toBe(403);
    expect((await owner.post('/api/auth/reauthenticate', { code, password: 'both' })).status).toBe(400);
  });
});

describe('DATA_ENCRYPTION_KEY rotation', () => {
  it('with a new key first, the secret still decrypts and is re-encrypted under the new key at its next use', async () => {
    const { user, id, secret } = await twoStepUser();
    const newKey = randomBytes(32).toString('base64');
    const rotated = await startInProcessApp(inProcess.services, { DATA_ENCRYPTION_KEY: `${newKey},${KEY}` });
    const newOnly = await startInProcessApp(inProcess.services, { DATA_ENCRYPTION_KEY: newKey });
    try {
      const signIn = async (target: typeof rotated.target, code: string) => {
        const client = new Client(target);
        expect((await client.post('/api/auth/login', { email: user.email, password: user.password })).status).toBe(202);
        return (await client.post('/api/auth/login/totp', { code })).status;
      };
      expect(await signIn(rotated.target, codeAt(secret, now()))).toBe(200);
      const { rows } = await inProcess.db.query<{ secret_encrypted: string }>('SELECT secret_encrypted FROM user_totp WHERE user_id = $1', [
        id,
      ]);
      expect(rows[0].secret_encrypted.split('.')[1]).toBe(dataKeyId(parseDataKey(newKey)!));
      atStep(1);
      expect(await signIn(newOnly.target, codeAt(secret, now()))).toBe(200);
    } finally {
      await rotated.close();
      await newOnly.close();
    }
  });
});

describe('Sudo and sign-in time', () => {
  it('a sign-in completed with a code starts sudo mode from the second step', async () => {
    const { user, secret } = await twoStepUser();
    const pending = await pendingClient(user);
    atStep(4); // two minutes into the pending sign-in
    const signedInAt = now();
    expect((await pending.post('/api/auth/login/totp', { code: codeAt(secret, now()) })).status).toBe(200);
    const session = (await pending.get('/api/session')).json<{ sudoExpiresAt: string }>();
    expect(Date.parse(session.sudoExpiresAt)).toBe(signedInAt + 15 * MINUTE);
  });
});
