import { describe, expect, it } from '@jest/globals';
import { hashRecoveryCode, newRecoveryCode, newRecoveryCodes, normalizeRecoveryCode, RECOVERY_CODE_COUNT } from './recovery-codes.js';

describe('recovery codes', () => {
  it('ten distinct codes of 24 base32 characters (120 bits), shown in groups of six', () => {
    const codes = newRecoveryCodes();
    expect(codes).toHaveLength(RECOVERY_CODE_COUNT);
    expect(new Set(codes).size).toBe(RECOVERY_CODE_COUNT);
    for (const code of codes) expect(code).toMatch(/^[0-9a-hjkmnp-tv-z]{6}(-[0-9a-hjkmnp-tv-z]{6}){3}$/);
  });

  it('uses every character of the alphabet (the bits are spread over all of it)', () => {
    const seen = new Set(Array.from({ length: 200 }, newRecoveryCode).join('').replace(/-/g, ''));
    expect(seen.size).toBe(32);
  });

  it('is read whatever the case, spacing and dashes, with i, l and o read as 1, 1 and 0', () => {
    const code = '0123ab-cdefgh-jkmnpq-rstvwx';
    const normalized = normalizeRecoveryCode(code);
    expect(normalized).toBe('0123abcdefghjkmnpqrstvwx');
    for (const typed of ['0123AB CDEFGH JKMNPQ RSTVWX', ' 0123abcdefghjkmnpqrstvwx ', 'O123AB-CDEFGH-JKMNPQ-RSTVWX']) {
      expect(normalizeRecoveryCode(typed)).toBe(normalized);
    }
    expect(normalizeRecoveryCode('l123ab-cdefgh-jkmnpq-rstvwx')).toBe('1123abcdefghjkmnpqrstvwx');
  });

  it('is no code when it is too short, too long or holds other characters', () => {
    for (const typed of ['0123ab-cdefgh-jkmnpq-rstvw', '0123ab-cdefgh-jkmnpq-rstvwxy', '0123ab-cdefgh-jkmnpq-rstvwu', '']) {
      expect(normalizeRecoveryCode(typed)).toBeUndefined();
    }
  });

  it('is stored as its SHA-256 only', () => {
    const hash = hashRecoveryCode('0123abcdefghjkmnpqrstvwx');
    expect(hash).toHaveLength(32);
    expect(hash.toString('latin1')).not.toContain('0123');
  });
});
