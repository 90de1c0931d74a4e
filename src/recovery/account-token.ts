import { createHash, randomBytes } from 'node:crypto';

/**
 * The rules of reset and verification tokens (docs/security.md, Account recovery), as plain functions of a clock reading so
 * they are unit-tested with a fake clock. The database only stores and deletes rows
 * (account-tokens.service.ts); whether a row still opens anything is decided here.
 */

export type TokenPurpose = 'password-reset' | 'verify-email';

/** 32 random bytes: 256 bits, twice the 128 the contract asks for. */
const TOKEN_BYTES = 32;

/** What a token looks like in a link: 32 bytes in base64url, 43 characters. */
export const TOKEN_PATTERN = /^[A-Za-z0-9_-]{43}$/;

/** A new token for a link, and the only thing stored about it: its SHA-256. */
export function newToken(): { token: string; hash: Buffer } {
  const token = randomBytes(TOKEN_BYTES).toString('base64url');
  return { token, hash: hashToken(token) };
}

/**
 * SHA-256, unsalted and fast on purpose: the token is 256 random bits, so no guessing or
 * precomputation can find it from its hash, and the lookup needs the same hash every time.
 */
export function hashToken(token: string): Buffer {
  return createHash('sha256').update(token).digest();
}

export interface IssuedToken {
  createdAt: Date;
  expiresAt: Date;
}

export function expiry(now: Date, ttlMs: number): Date {
  return new Date(now.getTime() + ttlMs);
}

/**
 * Whether a token that was found (and has just been deleted: single use) still counts: it has not
 * expired, and it was issued no earlier than the user's last password change, so that any change
 * of password spends every link mailed before it.
 */
export function isUsable(token: IssuedToken, passwordChangedAt: Date, now: Date): boolean {
  return now.getTime() < token.expiresAt.getTime() && token.createdAt.getTime() >= passwordChangedAt.getTime();
}
