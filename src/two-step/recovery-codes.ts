import { createHash, randomBytes } from 'node:crypto';

/*
 * Recovery codes (README, Two-step sign-in): ten, each 120 random bits, shown once. A code that
 * strong needs no password hash (ASVS 5.0 6.5.2 asks for one below 112 bits): its SHA-256 is all
 * that is stored, it is found by that hash in one indexed lookup, and a try costs no hashing
 * thread at all.
 */

export const RECOVERY_CODE_COUNT = 10;
/** Crockford's base32: no i, l, o or u, so that nothing reads as another character. */
const ALPHABET = '0123456789abcdefghjkmnpqrstvwxyz';
/** 24 characters of 5 bits: 120 bits. */
const CODE_LENGTH = 24;
const GROUP = 6;

/** A new code as shown: `xxxxxx-xxxxxx-xxxxxx-xxxxxx`. */
export function newRecoveryCode(): string {
  // 15 random bytes are exactly 24 characters of 5 bits each.
  const bytes = randomBytes((CODE_LENGTH * 5) / 8);
  let bits = 0;
  let value = 0;
  let code = '';
  for (const byte of bytes) {
    value = (value << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      bits -= 5;
      code += ALPHABET[(value >> bits) & 31];
    }
  }
  return code.match(new RegExp(`.{${GROUP}}`, 'g'))!.join('-');
}

export function newRecoveryCodes(): string[] {
  return Array.from({ length: RECOVERY_CODE_COUNT }, newRecoveryCode);
}

/**
 * A code as typed, in the one form that is hashed: case, spaces and dashes do not matter, and
 * the letters Crockford's base32 leaves out read as what they look like (i and l as 1, o as 0).
 * Undefined for what cannot be a code.
 */
export function normalizeRecoveryCode(typed: string): string | undefined {
  const code = typed.toLowerCase().replace(/[\s-]/g, '').replace(/[il]/g, '1').replace(/o/g, '0');
  return code.length === CODE_LENGTH && [...code].every((c) => ALPHABET.includes(c)) ? code : undefined;
}

/** What is stored of a normalised code. */
export function hashRecoveryCode(normalized: string): Buffer {
  return createHash('sha256').update(normalized).digest();
}
