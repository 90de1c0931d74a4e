import { afterEach, describe, expect, it, jest } from '@jest/globals';
import type { PublicKeyCredentialCreationOptionsJSON, PublicKeyCredentialRequestOptionsJSON } from '@simplewebauthn/server';
import { PasskeyChallenges } from '../../src/passkeys/challenge.js';
import type { PasskeyJson } from '../../src/passkeys/passkeys.service.js';
import { sessionIdOfCookieValue } from '../../src/session/session-cookie.js';
import { Client, signedInClient } from '../../tools/client/client.js';
import { enableTwoStep } from '../../tools/client/totp.js';
import { advanceClock, gate } from '../support/held.js';
import { type Algorithm, SoftAuthenticator, type Tamper } from '../support/soft-authenticator.js';
import { captureMail } from './mail-outbox.js';
import { inProcessSuite } from './in-process-app.js';

/**
 * Passkeys on real Postgres and Redis (docs/passkeys.md), with a software authenticator written
 * in the test (test/support/soft-authenticator.ts) standing in for the browser and the device:
 * each refusal is one field of an otherwise right response made wrong. The app's clock (Date) is
 * moved by the spec for the five-minute challenge and the sudo window.
 */

const MINUTE = 60_000;
const INVALID_PASSKEY = { statusCode: 401, error: 'Unauthorized', message: 'Invalid passkey' };
const INVALID_RESPONSE = { statusCode: 400, error: 'Bad Request', message: 'Invalid passkey response' };
const INVALID_CREDENTIALS = { statusCode: 403, error: 'Forbidden', message: 'Invalid credentials' };
const REAUTHENTICATION_REQUIRED = { statusCode: 403, error: 'Forbidden', message: 'Re-authentication required' };

const inProcess = inProcessSuite();

afterEach(() => {
  jest.useRealTimers();
  jest.restoreAllMocks();
});

const origin = () => inProcess.target.baseUrl;

async function sessionId(client: Client): Promise<string | undefined> {
  const cookie = await client.cookie('sid');
  return cookie && sessionIdOfCookieValue(cookie.value);
}

async function registrationOptions(client: Client): Promise<PublicKeyCredentialCreationOptionsJSON> {
  const res = await client.post('/api/profile/passkeys/options', {});
  expect([res.status, res.body]).toEqual([200, expect.any(String)]);
  return res.json();
}

async function addPasskey(client: Client, authenticator: SoftAuthenticator, body: { name?: string } = {}): Promise<PasskeyJson> {
  const res = await client.post('/api/profile/passkeys', { response: authenticator.create(await registrationOptions(client)), ...body });
  expect([res.status, res.body]).toEqual([201, expect.any(String)]);
  return res.json();
}

/** A registered user, signed in on `client`, with one passkey on `authenticator`. */
async function passkeyUser(options: { algorithm?: Algorithm; synced?: boolean } = {}) {
  const { client, user, json } = await signedInClient(inProcess.target);
  const authenticator = new SoftAuthenticator(origin(), options);
  const passkey = await addPasskey(client, authenticator);
  return { client, user, id: json.id, authenticator, passkey };
}

async function signInOptions(client: Client): Promise<PublicKeyCredentialRequestOptionsJSON> {
  const res = await client.post('/api/auth/passkey/options', {});
  expect([res.status, res.body]).toEqual([200, expect.any(String)]);
  return res.json();
}

/** A sign-in with the authenticator's passkey on `client` (a new, signed-out one unless given). */
async function passkeySignIn(authenticator: SoftAuthenticator, tamper: Tamper = {}, client = new Client(inProcess.target)) {
  const res = await client.post('/api/auth/passkey', { response: authenticator.get(await signInOptions(client), tamper) });
  return { client, res };
}

async function storedPasskey(credentialId: string) {
  const { rows } = await inProcess.db.query<{ sign_count: string; backed_up: boolean; last_used_at: Date | null }>(
    'SELECT sign_count, backed_up, last_used_at FROM passkeys WHERE credential_id = $1',
    [Buffer.from(credentialId, 'base64url')],
  );
  return rows[0];
}

describe('registering a passkey', () => {
  it('options: a discoverable credential with user verification, ES256 or RS256, no attestation, the user’s own excluded', async () => {
    const { client, id, passkey } = await passkeyUser();
    const options = await registrationOptions(client);
    expect(options).toEqual({
      challenge: expect.stringMatching(/^[A-Za-z0-9_-]{22,}$/),
      rp: { id: '127.0.0.1', name: 'Gatehouse' },
      user: { id: Buffer.from(id).toString('base64url'), name: expect.stringMatching(/@example\.com$/), displayName: 'Test User' },
      pubKeyCredParams: [
        { alg: -7, type: 'public-key' },
        { alg: -257, type: 'public-key' },
      ],
      timeout: 5 * MINUTE,
      attestation: 'none',
      excludeCredentials: [{ id: passkey.id, type: 'public-key', transports: ['internal', 'hybrid'] }],
      authenticatorSelection: { residentKey: 'required', requireResidentKey: true, userVerification: 'required' },
      extensions: { credProps: true },
      hints: [],
    });
  });

  it('answers 201 with the passkey, named after the device unless named; it is listed, and the owner is told', async () => {
    const {
      client,
      json: { id },
    } = await signedInClient(inProcess.target);
    const mail = captureMail(inProcess.app);
    const authenticator = new SoftAuthenticator(origin());
    const options = await registrationOptions(client);
    const linux = 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36';
    const res = await client.post('/api/profile/passkeys', { response: authenticator.create(options) }, { 'user-agent': linux });
    expect([res.status, res.json()]).toEqual([
      201,
      {
        id: authenticator.credentials[0].id.toString('base64url'),
        name: `Passkey added on Linux, ${new Date().toISOString().slice(0, 10)}`,
        createdAt: expect.any(String),
        lastUsedAt: null,
        backedUp: false,
      },
    ]);
    const named = await addPasskey(client, new SoftAuthenticator(origin(), { synced: true }), { name: '  Work laptop ' });
    expect(named).toMatchObject({ name: 'Work laptop', backedUp: true });

    const list = (await client.get('/api/profile/passkeys')).json<PasskeyJson[]>();
    expect(list.map((p) => p.id)).toEqual([res.json<PasskeyJson>().id, named.id]);
    expect((await client.get('/api/profile/security')).json()).toMatchObject({ passkeys: list });
    expect(mail.queued.filter((job) => job.kind === 'security-notice')).toEqual([
      { kind: 'security-notice', userId: id, change: 'passkey-added', at: expect.any(String) },
      { kind: 'security-notice', userId: id, change: 'passkey-added', at: expect.any(String) },
    ]);
  });

  it('RS256 is accepted as ES256 is; EdDSA, which the options do not offer, is refused', async () => {
    const rsa = await passkeyUser({ algorithm: 'RS256' });
    expect((await passkeySignIn(rsa.authenticator)).res.status).toBe(200);
    const { client } = await signedInClient(inProcess.target);
    const eddsa = new SoftAuthenticator(origin(), { algorithm: 'EdDSA' });
    const res = await client.post('/api/profile/passkeys', { response: eddsa.create(await registrationOptions(client)) });
    expect([res.status, res.json()]).toEqual([400, INVALID_RESPONSE]);
  });

  it.each<[string, Tamper]>([
    ['another origin', { origin: 'https://evil.example' }],
    ['another RP id', { rpId: 'evil.example' }],
    ['no user verification', { userVerified: false }],
    ['a response to get(), not create()', { type: 'webauthn.get' }],
  ])('400 "Invalid passkey response" for %s; nothing is stored', async (_case, tamper) => {
    const {
      client,
      json: { id },
    } = await signedInClient(inProcess.target);
    const res = await client.post('/api/profile/passkeys', {
      response: new SoftAuthenticator(origin()).create(await registrationOptions(client), tamper),
    });
    expect([res.status, res.json()]).toEqual([400, INVALID_RESPONSE]);
    expect((await inProcess.db.query('SELECT 1 FROM passkeys WHERE user_id = $1', [id])).rows).toEqual([]);
  });

  it('400 for a challenge that is not a registration challenge of this user, used, or older than five minutes', async () => {
    const { client } = await signedInClient(inProcess.target);
    const other = await signedInClient(inProcess.target);
    const register = async (challenge: string) => {
      const options = { ...(await registrationOptions(client)), challenge };
      return (await client.post('/api/profile/passkeys', { response: new SoftAuthenticator(origin()).create(options) })).json();
    };
    expect(await register((await registrationOptions(other.client)).challenge)).toEqual(INVALID_RESPONSE);
    expect(await register((await signInOptions(client)).challenge)).toEqual(INVALID_RESPONSE);
    const reauthentication = await client.post('/api/auth/reauthenticate/options', {});
    expect(reauthentication.status).toBe(404); // no passkey yet: no reauthentication challenge for this user either

    const once = (await registrationOptions(client)).challenge;
    expect(await register(once)).toMatchObject({ id: expect.any(String) });
    expect(await register(once)).toEqual(INVALID_RESPONSE);

    const stale = (await registrationOptions(client)).challenge;
    advanceClock(5 * MINUTE + 1_000);
    expect(await register(stale)).toEqual(INVALID_RESPONSE);
  });

  it('a malformed response or name is a 400, never a 500', async () => {
    const { client } = await signedInClient(inProcess.target);
    const response = new SoftAuthenticator(origin()).create(await registrationOptions(client));
    for (const body of [
      {},
      { response: 'x' },
      { response: { ...response, type: 'other' } },
      { response: { ...response, rawId: 'AAAA' } },
      { response: { ...response, response: { clientDataJSON: response.response.clientDataJSON } } },
      { response: { ...response, response: { ...response.response, attestationObject: 'not base64url!' } } },
      { response, name: '' },
      { response, name: 'x'.repeat(65) },
      { response, name: 'tab\there' },
      { response, extra: 1 },
    ]) {
      expect([body, (await client.post('/api/profile/passkeys', body)).status]).toEqual([body, 400]);
    }
    // Well-formed JSON whose bytes are nonsense reaches the library, and is refused, not a 500.
    const garbage = { ...response, response: { ...response.response, attestationObject: 'AAAA' } };
    expect((await client.post('/api/profile/passkeys', { response: garbage })).json()).toEqual(INVALID_RESPONSE);
  });
});

describe('signing in with a passkey', () => {
  it('options for a signed-out visitor name no passkey (discoverable) and ask for user verification', async () => {
    expect(await signInOptions(new Client(inProcess.target))).toEqual({
      rpId: '127.0.0.1',
      challenge: expect.stringMatching(/^[A-Za-z0-9_-]{22,}$/),
      timeout: 5 * MINUTE,
      userVerification: 'required',
    });
  });

  it('signs in on a new session id with methods ["passkey"]; the passkey’s last use is recorded', async () => {
    const { user, authenticator, passkey } = await passkeyUser();
    const client = new Client(inProcess.target);
    await client.post('/api/auth/passkey/options', {}); // the pre-login session id, if one were made
    const before = await sessionId(client);
    const { res } = await passkeySignIn(authenticator, {}, client);
    expect([res.status, res.json<{ email: string }>().email]).toEqual([200, user.email]);
    expect(await sessionId(client)).toBeDefined();
    expect(await sessionId(client)).not.toBe(before);
    expect((await client.get('/api/session')).json()).toMatchObject({ methods: ['passkey'] });
    expect((await storedPasskey(passkey.id)).last_used_at).toBeInstanceOf(Date);
  });

  it('a replayed assertion is refused, also when both are sent at once (a synced passkey: its counter says nothing)', async () => {
    const { authenticator } = await passkeyUser({ synced: true });
    const response = authenticator.get(await signInOptions(new Client(inProcess.target)));
    const post = () => new Client(inProcess.target).post('/api/auth/passkey', { response });
    expect((await post()).status).toBe(200);
    expect((await post()).json()).toEqual(INVALID_PASSKEY);

    const racing = authenticator.get(await signInOptions(new Client(inProcess.target)));
    const answers = await Promise.all([0, 1].map(() => new Client(inProcess.target).post('/api/auth/passkey', { response: racing })));
    expect(answers.map((a) => a.status).sort()).toEqual([200, 401]);
  });

  it('a registration or re-authentication challenge signs nobody in', async () => {
    const { client, authenticator } = await passkeyUser({ synced: true });
    const signIn = async (challenge: string) => (await passkeySignIn(authenticator, { challenge })).res.json();
    expect(await signIn((await registrationOptions(client)).challenge)).toEqual(INVALID_PASSKEY);
    const reauthentication = (await client.post('/api/auth/reauthenticate/options', {})).json<PublicKeyCredentialRequestOptionsJSON>();
    expect(await signIn(reauthentication.challenge)).toEqual(INVALID_PASSKEY);
    expect((await passkeySignIn(authenticator)).res.status).toBe(200);
  });

  it.each<[string, Tamper]>([
    ['another origin', { origin: 'https://evil.example' }],
    ['another RP id', { rpId: 'evil.example' }],
    ['no user verification', { userVerified: false }],
    ['a response to create(), not get()', { type: 'webauthn.create' }],
    ['a user handle of another user', { userHandle: Buffer.from('0d9b3c4a-8a1e-4c7e-b0a4-1e2d3c4b5a69') }],
  ])('401 "Invalid passkey" for %s', async (_case, tamper) => {
    const { authenticator } = await passkeyUser({ synced: true });
    const { client, res } = await passkeySignIn(authenticator, tamper);
    expect([res.status, res.json()]).toEqual([401, INVALID_PASSKEY]);
    expect((await client.get('/api/session')).status).toBe(401);
    expect((await passkeySignIn(authenticator)).res.status).toBe(200);
  });

  it('a challenge older than five minutes is refused', async () => {
    const { authenticator } = await passkeyUser();
    const client = new Client(inProcess.target);
    const options = await signInOptions(client);
    advanceClock(5 * MINUTE + 1_000);
    expect((await client.post('/api/auth/passkey', { response: authenticator.get(options) })).json()).toEqual(INVALID_PASSKEY);
  });

  it('a counter that goes backwards or stands still is refused; one that stays 0 (synced) is accepted every time', async () => {
    const counting = await passkeyUser();
    expect((await passkeySignIn(counting.authenticator)).res.status).toBe(200); // counter 1
    expect((await passkeySignIn(counting.authenticator)).res.status).toBe(200); // counter 2
    expect((await passkeySignIn(counting.authenticator, { counter: 1 })).res.json()).toEqual(INVALID_PASSKEY);
    expect((await passkeySignIn(counting.authenticator, { counter: 2 })).res.json()).toEqual(INVALID_PASSKEY);
    expect((await passkeySignIn(counting.authenticator, { counter: 0 })).res.json()).toEqual(INVALID_PASSKEY);
    expect((await passkeySignIn(counting.authenticator)).res.status).toBe(200); // counter 3
    expect(await storedPasskey(counting.passkey.id)).toMatchObject({ sign_count: '3', backed_up: false });

    const synced = await passkeyUser({ synced: true });
    for (let i = 0; i < 3; i++) expect((await passkeySignIn(synced.authenticator)).res.status).toBe(200);
    expect(await storedPasskey(synced.passkey.id)).toMatchObject({ sign_count: '0', backed_up: true });
  });

  it('two assertions with the same counter, racing: the counter’s compare-and-set takes one', async () => {
    const { authenticator } = await passkeyUser();
    const [first, second] = [new Client(inProcess.target), new Client(inProcess.target)];
    // Each with a challenge of its own, both with counter 5: the library checks each against the
    // stored 0. The first is held once its challenge is spent, just before the counter is stored;
    // the second runs start to finish meanwhile.
    const [a, b] = [
      authenticator.get(await signInOptions(first), { counter: 5 }),
      authenticator.get(await signInOptions(second), { counter: 5 }),
    ];
    const held = gate();
    const spend = PasskeyChallenges.prototype.spend;
    jest.spyOn(PasskeyChallenges.prototype, 'spend').mockImplementationOnce(async function (this: PasskeyChallenges, ...args) {
      const spent = await spend.apply(this, args);
      await held.wait();
      return spent;
    });
    const firstAnswer = first.post('/api/auth/passkey', { response: a });
    await held.reached;
    const secondAnswer = await second.post('/api/auth/passkey', { response: b });
    held.open();
    expect([(await firstAnswer).status, secondAnswer.status]).toEqual([401, 200]);
  });

  it('a malformed body is a 400', async () => {
    const client = new Client(inProcess.target);
    const { authenticator } = await passkeyUser();
    const response = authenticator.get(await signInOptions(client));
    for (const body of [
      {},
      { response: null },
      { response: { ...response, id: 'not base64url!', rawId: 'not base64url!' } },
      { response, rememberMe: true },
    ]) {
      expect([body, (await client.post('/api/auth/passkey', body)).status]).toEqual([body, 400]);
    }
  });

  it('100 signed-out option requests leave no key in Redis', async () => {
    const before = await inProcess.redis.dbSize();
    for (let i = 0; i < 100; i++) await signInOptions(new Client(inProcess.target));
    expect(await inProcess.redis.dbSize()).toBe(before);

    // What writes is a response that checks out: one mark that spends its challenge, for at most five minutes.
    const { authenticator } = await passkeyUser();
    const marked = new Set(await inProcess.redis.keys('used-challenge:*'));
    expect((await passkeySignIn(authenticator)).res.status).toBe(200);
    const fresh = (await inProcess.redis.keys('used-challenge:*')).filter((key) => !marked.has(key));
    expect(fresh).toHaveLength(1);
    const ttl = await inProcess.redis.pTTL(fresh[0]);
    expect(ttl > 0 && ttl <= 5 * MINUTE).toBe(true);
  });

  it('an assertion for a passkey nobody has counts against the address: past 100, 429', async () => {
    const { client: owner } = await signedInClient(inProcess.target);
    const stranger = new SoftAuthenticator(origin());
    stranger.create(await registrationOptions(owner)); // made, never sent: the app does not know it
    const client = new Client(inProcess.target, undefined, '127.0.0.23');
    const response = stranger.get(await signInOptions(client));
    for (let i = 1; i <= 101; i++) expect([i, (await client.post('/api/auth/passkey', { response })).status]).toEqual([i, 401]);
    const locked = await client.post('/api/auth/passkey', { response });
    expect([locked.status, locked.headers['retry-after']]).toEqual([429, expect.any(String)]);
  });

  it('ten wrong assertions for one account lock its passkey sign-in (429), the right one included', async () => {
    const { authenticator } = await passkeyUser({ synced: true });
    for (let i = 1; i <= 10; i++) {
      expect([i, (await passkeySignIn(authenticator, { userVerified: false })).res.status]).toEqual([i, 401]);
    }
    expect((await passkeySignIn(authenticator)).res.status).toBe(429);
  });
});

describe('a pending password sign-in', () => {
  /** A user with two-step sign-in and a passkey, and a new client whose password step went through. */
  async function pendingWithPasskey() {
    const owner = await passkeyUser({ synced: true });
    await enableTwoStep(owner.client);
    const client = new Client(inProcess.target);
    const res = await client.post('/api/auth/login', { email: owner.user.email, password: owner.user.password });
    expect([res.status, res.json()]).toEqual([202, { secondFactorRequired: true, methods: ['totp', 'recoveryCode', 'passkey'] }]);
    return { ...owner, pending: client };
  }

  it('is completed with the user’s passkey on a new session id: methods ["password", "passkey"]', async () => {
    const { pending, authenticator, passkey } = await pendingWithPasskey();
    const pendingId = await sessionId(pending);
    const options = await signInOptions(pending);
    expect(options.allowCredentials).toEqual([{ id: passkey.id, type: 'public-key', transports: ['internal', 'hybrid'] }]);
    const res = await pending.post('/api/auth/passkey', { response: authenticator.get(options) });
    expect(res.status).toBe(200);
    expect(await sessionId(pending)).not.toBe(pendingId);
    expect((await pending.get('/api/session')).json()).toMatchObject({ methods: ['password', 'passkey'] });
  });

  it('another user’s passkey is refused, and counts as a wrong second factor; the user’s own then completes it', async () => {
    const { pending, authenticator } = await pendingWithPasskey();
    const other = await passkeyUser({ synced: true });
    const options = await signInOptions(pending);
    const res = await pending.post('/api/auth/passkey', {
      response: other.authenticator.get(options, { credential: other.authenticator.credentials[0] }),
    });
    expect([res.status, res.json()]).toEqual([401, INVALID_PASSKEY]);
    expect((await pending.get('/api/session')).status).toBe(401);
    expect((await pending.post('/api/auth/passkey', { response: authenticator.get(await signInOptions(pending)) })).status).toBe(200);
  });
});

describe('re-authenticating with a passkey', () => {
  it('gives sudo mode and a new session id; the methods gain "passkey"; the assertion works once', async () => {
    const { client, authenticator, passkey } = await passkeyUser();
    advanceClock(16 * MINUTE);
    expect((await client.delete('/api/sessions')).json()).toEqual(REAUTHENTICATION_REQUIRED);
    const options = (await client.post('/api/auth/reauthenticate/options', {})).json<PublicKeyCredentialRequestOptionsJSON>();
    expect(options).toMatchObject({
      rpId: '127.0.0.1',
      userVerification: 'required',
      allowCredentials: [{ id: passkey.id, type: 'public-key' }],
    });
    const before = await sessionId(client);
    const response = authenticator.get(options);
    expect((await client.post('/api/auth/reauthenticate', { passkey: response })).status).toBe(204);
    expect(await sessionId(client)).not.toBe(before);
    expect((await client.get('/api/session')).json()).toMatchObject({ methods: ['password', 'passkey'] });
    expect((await client.delete('/api/sessions')).status).toBe(204);
    expect((await client.post('/api/auth/reauthenticate', { passkey: response })).json()).toEqual(INVALID_CREDENTIALS);
  });

  it('403 for a sign-in or registration challenge, another user’s challenge or another user’s passkey; 400 with two proofs', async () => {
    const { client, user, authenticator } = await passkeyUser({ synced: true });
    const other = await passkeyUser({ synced: true });
    const reauthenticate = async (response: unknown) => (await client.post('/api/auth/reauthenticate', { passkey: response })).json();
    const ownOptions = async () =>
      (await client.post('/api/auth/reauthenticate/options', {})).json<PublicKeyCredentialRequestOptionsJSON>();

    expect(await reauthenticate(authenticator.get(await signInOptions(new Client(inProcess.target))))).toEqual(INVALID_CREDENTIALS);
    // Issued to this user too, but for registering a passkey.
    expect(
      await reauthenticate(authenticator.get({ ...(await ownOptions()), challenge: (await registrationOptions(client)).challenge })),
    ).toEqual(INVALID_CREDENTIALS);
    const othersOptions = (await other.client.post('/api/auth/reauthenticate/options', {})).json<PublicKeyCredentialRequestOptionsJSON>();
    expect(await reauthenticate(authenticator.get({ ...othersOptions, allowCredentials: undefined }))).toEqual(INVALID_CREDENTIALS);
    expect(await reauthenticate(other.authenticator.get(await ownOptions(), { credential: other.authenticator.credentials[0] }))).toEqual(
      INVALID_CREDENTIALS,
    );
    const both = await client.post('/api/auth/reauthenticate', { passkey: authenticator.get(await ownOptions()), password: user.password });
    expect(both.status).toBe(400);
    expect((await client.post('/api/auth/reauthenticate', { passkey: authenticator.get(await ownOptions()) })).status).toBe(204);
  });

  it('options are 404 without a passkey, 401 signed out', async () => {
    const { client } = await signedInClient(inProcess.target);
    const res = await client.post('/api/auth/reauthenticate/options', {});
    expect([res.status, res.json<{ message: string }>().message]).toEqual([404, 'No passkey']);
    expect((await new Client(inProcess.target).post('/api/auth/reauthenticate/options', {})).status).toBe(401);
  });
});

describe('managing passkeys', () => {
  it('renames and removes one of the user’s own (404 for anyone else’s); removal tells the owner and the passkey signs in no more', async () => {
    const { client, id, authenticator, passkey } = await passkeyUser();
    const other = await signedInClient(inProcess.target);
    const mail = captureMail(inProcess.app);
    const renamed = await client.patch(`/api/profile/passkeys/${passkey.id}`, { name: 'Phone' });
    expect([renamed.status, renamed.json()]).toEqual([200, { ...passkey, name: 'Phone' }]);
    expect((await other.client.patch(`/api/profile/passkeys/${passkey.id}`, { name: 'Mine' })).status).toBe(404);
    expect((await other.client.delete(`/api/profile/passkeys/${passkey.id}`)).status).toBe(404);
    expect((await client.patch('/api/profile/passkeys/not%20an%20id', { name: 'x' })).status).toBe(404);
    expect((await client.patch(`/api/profile/passkeys/${passkey.id}`, { name: '' })).status).toBe(400);

    expect((await client.delete(`/api/profile/passkeys/${passkey.id}`)).status).toBe(204);
    expect((await client.delete(`/api/profile/passkeys/${passkey.id}`)).status).toBe(404);
    expect(mail.queued).toEqual([{ kind: 'security-notice', userId: id, change: 'passkey-removed', at: expect.any(String) }]);
    expect((await passkeySignIn(authenticator)).res.json()).toEqual(INVALID_PASSKEY);
  });

  it('removing the last passkey is allowed: the password still signs in (every account has one)', async () => {
    const { client, user, passkey } = await passkeyUser();
    expect((await client.delete(`/api/profile/passkeys/${passkey.id}`)).status).toBe(204);
    expect((await client.get('/api/profile/passkeys')).json()).toEqual([]);
    const signIn = await new Client(inProcess.target).post('/api/auth/login', { email: user.email, password: user.password });
    expect(signIn.status).toBe(200);
  });

  it('options, adding, renaming and removing need sudo mode; listing does not', async () => {
    const { client, authenticator, passkey } = await passkeyUser();
    const response = new SoftAuthenticator(origin()).create(await registrationOptions(client));
    advanceClock(15 * MINUTE + 30_000);
    for (const [method, path, body] of [
      ['POST', '/api/profile/passkeys/options', {}],
      ['POST', '/api/profile/passkeys', { response }],
      ['PATCH', `/api/profile/passkeys/${passkey.id}`, { name: 'x' }],
      ['DELETE', `/api/profile/passkeys/${passkey.id}`, undefined],
    ] as const) {
      const res = await client.send(method, path, body);
      expect([method, path, res.status, res.json()]).toEqual([method, path, 403, REAUTHENTICATION_REQUIRED]);
    }
    expect((await client.get('/api/profile/passkeys')).status).toBe(200);
    expect((await client.get('/api/profile/security')).status).toBe(200);
    // Re-authenticating with the passkey itself opens sudo mode again.
    const options = (await client.post('/api/auth/reauthenticate/options', {})).json<PublicKeyCredentialRequestOptionsJSON>();
    expect((await client.post('/api/auth/reauthenticate', { passkey: authenticator.get(options) })).status).toBe(204);
    expect((await client.delete(`/api/profile/passkeys/${passkey.id}`)).status).toBe(204);
  });
});
