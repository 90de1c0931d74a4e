import { describe, expect, it } from '@jest/globals';
import { expiry, hashToken, isUsable, newToken, TOKEN_PATTERN } from './account-token.js';

const T0 = new Date(Date.UTC(2026, 0, 1, 12));
const at = (ms: number) => new Date(T0.getTime() + ms);
const MIN = 60_000;

describe('account tokens', () => {
  it('are 256 random bits in base64url, stored only as their SHA-256', () => {
    const tokens = Array.from({ length: 50 }, () => newToken());
    for (const { token, hash } of tokens) {
      expect(token).toMatch(TOKEN_PATTERN);
      expect(Buffer.from(token, 'base64url')).toHaveLength(32);
      expect(hash).toEqual(hashToken(token));
      expect(hash).toHaveLength(32);
      expect(hash.toString('hex')).not.toContain(Buffer.from(token).toString('hex'));
    }
    expect(new Set(tokens.map((t) => t.token)).size).toBe(tokens.length);
  });

  it('hash the same token to the same value, and other tokens to others', () => {
    const { token } = newToken();
    expect(hashToken(token).equals(hashToken(token))).toBe(true);
    expect(hashToken(token).equals(hashToken(newToken().token))).toBe(false);
  });

  it('work until the TTL has passed, not a millisecond longer', () => {
    const token = { createdAt: T0, expiresAt: expiry(T0, 30 * MIN) };
    const changed = at(-24 * 60 * MIN);
    expect(isUsable(token, changed, T0)).toBe(true);
    expect(isUsable(token, changed, at(30 * MIN - 1))).toBe(true);
    expect(isUsable(token, changed, at(30 * MIN))).toBe(false);
    expect(isUsable(token, changed, at(31 * MIN))).toBe(false);
  });

  it.each([
    ['a change a minute after the link was issued', MIN, false],
    ['a change in the same millisecond as the link', 0, true],
    ['a change before the link was issued', -MIN, true],
  ])('are spent by a password change: %s', (_case, changedAfterMs, usable) => {
    const token = { createdAt: T0, expiresAt: expiry(T0, 30 * MIN) };
    expect(isUsable(token, at(changedAfterMs), at(2 * MIN))).toBe(usable);
  });
});
