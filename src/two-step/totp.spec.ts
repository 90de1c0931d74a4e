import { describe, expect, it } from '@jest/globals';
import { codeDigits, matchingStep, newTotpSecret, timeStep, totpCode, totpUri } from './totp.js';

// RFC 6238 appendix B: the SHA-1 seed is the ASCII string "12345678901234567890".
const RFC_SECRET = 'GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ';

describe('TOTP (RFC 6238, SHA-1, 6 digits, 30 s)', () => {
  // The appendix's 8-digit values; a 6-digit code is their last six digits (the same truncation, mod 10^6).
  it.each([
    [59, '94287082'],
    [1111111109, '07081804'],
    [1111111111, '14050471'],
    [1234567890, '89005924'],
    [2000000000, '69279037'],
    [20000000000, '65353130'],
  ])('appendix B test vector at T = %i s', (seconds, eightDigits) => {
    expect(totpCode(RFC_SECRET, timeStep(seconds * 1000))).toBe(eightDigits.slice(2));
  });

  it('accepts the current step and the one before, nothing older or newer', () => {
    const secret = newTotpSecret();
    const now = Date.UTC(2026, 11, 6, 12, 0, 10);
    const step = timeStep(now);
    expect(matchingStep(secret, totpCode(secret, step), now)).toBe(step);
    expect(matchingStep(secret, totpCode(secret, step - 1), now)).toBe(step - 1);
    expect(matchingStep(secret, totpCode(secret, step - 2), now)).toBeUndefined();
    expect(matchingStep(secret, totpCode(secret, step + 1), now)).toBeUndefined();
  });

  it('a new secret is 160 random bits in base32', () => {
    const secret = newTotpSecret();
    expect(secret).toMatch(/^[A-Z2-7]{32}$/);
    expect(newTotpSecret()).not.toBe(secret);
  });

  it('reads a code typed with spaces or a dash as its digits; anything else is no code', () => {
    expect(codeDigits('123456')).toBe('123456');
    expect(codeDigits(' 123 456 ')).toBe('123456');
    expect(codeDigits('123-456')).toBe('123456');
    for (const typed of ['12345', '1234567', '12345a', '１２３４５６', '']) expect(codeDigits(typed)).toBeUndefined();
  });

  it('the otpauth:// URI names issuer and account and spells out every parameter', () => {
    expect(totpUri('Gatehouse', 'ann+2fa@example.com', 'JBSWY3DPEHPK3PXP')).toBe(
      'otpauth://totp/Gatehouse:ann%2B2fa%40example.com?secret=JBSWY3DPEHPK3PXP&issuer=Gatehouse&algorithm=SHA1&digits=6&period=30',
    );
  });
});
