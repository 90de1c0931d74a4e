import { describe, expect, it } from '@jest/globals';
import {
  CHALLENGE_BYTES,
  CHALLENGE_MS,
  ChallengeSigner,
  type CheckedChallenge,
  NONCE_BYTES,
  spendChallenge,
  type SpendClient,
  usedChallengeKey,
} from './challenge.js';

const T0 = Date.UTC(2026, 11, 6, 12, 0, 0);
const USER = '6f1c1b9e-2f55-4a43-9d0c-3f2b1f8e2a10';
const OTHER_USER = '0d9b3c4a-8a1e-4c7e-b0a4-1e2d3c4b5a69';
const signer = new ChallengeSigner(['the secret that signs, at least 32 characters']);
const issue = (...args: Parameters<ChallengeSigner['issue']>) => signer.issue(...args).toString('base64url');

describe('passkey challenges', () => {
  it('are checked for the ceremony and subject they were issued for, until they expire', () => {
    const challenge = issue('registration', USER, T0);
    expect(signer.check(challenge, 'registration', USER, T0 + 1_000)).toEqual({
      nonce: expect.stringMatching(/^[0-9a-f]{32}$/),
      expiresAt: T0 + CHALLENGE_MS,
    });
    expect(signer.check(challenge, 'registration', USER, T0 + CHALLENGE_MS - 1)).toBeDefined();
    expect(signer.check(challenge, 'registration', USER, T0 + CHALLENGE_MS)).toBeUndefined();
  });

  it('carry 128 random bits: no two alike', () => {
    const nonces = Array.from({ length: 200 }, () => signer.check(issue('sign-in', undefined, T0), 'sign-in', undefined, T0)!.nonce);
    expect(NONCE_BYTES * 8).toBeGreaterThanOrEqual(128);
    expect(new Set(nonces).size).toBe(200);
  });

  it('of one ceremony never pass for another (a registration challenge signs nobody in)', () => {
    const registration = issue('registration', USER, T0);
    const reauthentication = issue('reauthentication', USER, T0);
    const signIn = issue('sign-in', undefined, T0);
    expect(signer.check(registration, 'sign-in', undefined, T0)).toBeUndefined();
    expect(signer.check(registration, 'sign-in', USER, T0)).toBeUndefined();
    expect(signer.check(registration, 'reauthentication', USER, T0)).toBeUndefined();
    expect(signer.check(reauthentication, 'registration', USER, T0)).toBeUndefined();
    expect(signer.check(reauthentication, 'sign-in', USER, T0)).toBeUndefined();
    expect(signer.check(signIn, 'reauthentication', undefined, T0)).toBeUndefined();
    expect(signer.check(signIn, 'sign-in', undefined, T0)).toBeDefined();
  });

  it('issued to one user are worth nothing for another, or signed out', () => {
    const challenge = issue('reauthentication', USER, T0);
    expect(signer.check(challenge, 'reauthentication', OTHER_USER, T0)).toBeUndefined();
    expect(signer.check(challenge, 'reauthentication', undefined, T0)).toBeUndefined();
    expect(signer.check(issue('sign-in', undefined, T0), 'sign-in', USER, T0)).toBeUndefined();
  });

  it('cannot be forged: any byte changed, another key, or another encoding is no challenge', () => {
    const bytes = signer.issue('sign-in', undefined, T0);
    expect(bytes).toHaveLength(CHALLENGE_BYTES);
    for (let i = 0; i < bytes.length; i++) {
      const changed = Buffer.from(bytes);
      changed[i] ^= 0x01;
      expect([i, signer.check(changed.toString('base64url'), 'sign-in', undefined, T0)]).toEqual([i, undefined]);
    }
    // A later expiry, signed with a key the app does not have.
    const stranger = new ChallengeSigner(['another secret, at least 32 characters long']);
    expect(signer.check(stranger.issue('sign-in', undefined, T0).toString('base64url'), 'sign-in', undefined, T0)).toBeUndefined();
    const encoded = bytes.toString('base64url');
    for (const other of [bytes.toString('base64'), `${encoded}=`, `${encoded}A`, encoded.slice(1), `.${encoded}`, '']) {
      expect([other, signer.check(other, 'sign-in', undefined, T0)]).toEqual([other, undefined]);
    }
  });

  it('issued under an older SESSION_SECRET still check out after a rotation', () => {
    const old = new ChallengeSigner(['the old secret, at least 32 characters long']);
    const rotated = new ChallengeSigner(['the new secret, at least 32 characters long', 'the old secret, at least 32 characters long']);
    expect(rotated.check(old.issue('sign-in', undefined, T0).toString('base64url'), 'sign-in', undefined, T0)).toBeDefined();
    expect(old.check(rotated.issue('sign-in', undefined, T0).toString('base64url'), 'sign-in', undefined, T0)).toBeUndefined();
  });
});

/** Redis's SET NX PX on a map, with the time the test gives it. */
function fakeRedis(clock: { now: number }) {
  const keys = new Map<string, number>();
  const client: SpendClient = {
    set: (key, _value, options) => {
      const expiresAt = keys.get(key);
      if (expiresAt !== undefined && expiresAt > clock.now) return Promise.resolve(null);
      keys.set(key, clock.now + options.expiration.value);
      return Promise.resolve('OK');
    },
  };
  return { client, keys };
}

describe('spending a challenge', () => {
  it('succeeds once; the mark lasts exactly as long as the challenge would have', async () => {
    const clock = { now: T0 + 60_000 };
    const { client, keys } = fakeRedis(clock);
    const checked: CheckedChallenge = { nonce: 'ab'.repeat(16), expiresAt: T0 + CHALLENGE_MS };
    expect(await spendChallenge(client, checked, clock.now)).toBe(true);
    expect(await spendChallenge(client, checked, clock.now)).toBe(false);
    expect(keys.get(usedChallengeKey(checked))).toBe(checked.expiresAt);
    expect(usedChallengeKey(checked)).toBe(`used-challenge:${'ab'.repeat(16)}`);
  });

  it('an expired challenge is not spent (nor marked)', async () => {
    const clock = { now: T0 + CHALLENGE_MS };
    const { client, keys } = fakeRedis(clock);
    expect(await spendChallenge(client, { nonce: 'cd'.repeat(16), expiresAt: T0 + CHALLENGE_MS }, clock.now)).toBe(false);
    expect(keys.size).toBe(0);
  });
});
