import { timingSafeEqual } from 'node:crypto';
import { HOTP, Secret } from 'otpauth';

/*
 * TOTP as RFC 6238 has it and every authenticator app reads it: HMAC-SHA-1, 6 digits, 30-second
 * steps (README, Two-step sign-in). The HOTP arithmetic is otpauth's; what is Gatehouse's own is
 * which steps a code may be for, and that each step is accepted once (two-step.service.ts).
 */

export const TOTP_PERIOD_SECONDS = 30;
export const TOTP_DIGITS = 6;
/** 160 random bits, as RFC 4226 recommends and SPEC section 4 asks. */
const SECRET_BYTES = 20;

/** A new secret, base32 (what the otpauth:// URI and manual entry carry). */
export function newTotpSecret(): string {
  return new Secret({ size: SECRET_BYTES }).base32;
}

/**
 * The `otpauth://totp/<issuer>:<email>?…` URI an authenticator app scans (Google's Key URI
 * format): the issuer both in the label and as a parameter, and every parameter spelled out,
 * though they are the defaults, so that no app has to guess.
 */
export function totpUri(issuer: string, email: string, secret: string): string {
  const params = new URLSearchParams({
    secret,
    issuer,
    algorithm: 'SHA1',
    digits: String(TOTP_DIGITS),
    period: String(TOTP_PERIOD_SECONDS),
  });
  return `otpauth://totp/${encodeURIComponent(issuer)}:${encodeURIComponent(email)}?${params.toString()}`;
}

/** The RFC 6238 time step `now` (epoch ms) falls in. */
export function timeStep(now: number): number {
  return Math.floor(now / 1000 / TOTP_PERIOD_SECONDS);
}

/** The code of `step` for `secret` (base32). */
export function totpCode(secret: string, step: number): string {
  return HOTP.generate({ secret: Secret.fromBase32(secret), algorithm: 'SHA1', digits: TOTP_DIGITS, counter: step });
}

/**
 * What a person typed, as the code's digits: spaces and dashes (`123 456`, `123-456`, as apps
 * show it) are dropped. Undefined when what is left is not six digits.
 */
export function codeDigits(typed: string): string | undefined {
  const digits = typed.replace(/[\s-]/g, '');
  return /^\d{6}$/.test(digits) ? digits : undefined;
}

/**
 * The time step whose code `code` is, if it is the current step's or the one before (a code
 * typed in the last seconds of its step, or on a phone whose clock is a little behind); nothing
 * older, and nothing newer, which only a clock running ahead would produce. Whether that step was
 * already used is the caller's to decide, atomically.
 */
export function matchingStep(secret: string, code: string, now: number): number | undefined {
  const current = timeStep(now);
  const given = Buffer.from(code);
  for (const step of [current, current - 1]) {
    const expected = Buffer.from(totpCode(secret, step));
    if (expected.length === given.length && timingSafeEqual(expected, given)) return step;
  }
  return undefined;
}
