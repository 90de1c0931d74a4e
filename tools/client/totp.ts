import { Secret, TOTP } from 'otpauth';
import type { Client } from './client.js';

/*
 * A test's own authenticator: codes computed from the secret the app showed, with otpauth as any
 * authenticator app would, independently of the app's code.
 */

export const STEP_MS = 30_000;

/** The code an authenticator shows at `ms` (epoch) for `secret` (base32). */
export function codeAt(secret: string, ms: number): string {
  return new TOTP({ secret: Secret.fromBase32(secret), algorithm: 'SHA1', digits: 6, period: 30 }).generate({ timestamp: ms });
}

/**
 * Waits, when the current time step has less than `marginMs` left, for the next one to begin: a
 * code computed now is then still the current step's (or, for `codeAt(now - STEP_MS)`, the one
 * before) when the app checks it.
 */
export async function roomInStep(marginMs = 5_000): Promise<number> {
  const left = STEP_MS - (Date.now() % STEP_MS);
  if (left < marginMs) await new Promise((resolve) => setTimeout(resolve, left + 50));
  return Date.now();
}

/**
 * Turns two-step sign-in on for the signed-in (and in sudo mode) client. Confirmed with the code of
 * the step before the current one, so that the current step's code is still unused for a sign-in.
 */
export async function enableTwoStep(client: Client): Promise<{ secret: string; uri: string; recoveryCodes: string[] }> {
  const begin = await client.post('/api/profile/totp', {});
  if (begin.status !== 200) throw new Error(`POST /api/profile/totp: ${begin.status} ${begin.body}`);
  const { secret, uri } = begin.json<{ secret: string; uri: string }>();
  const now = await roomInStep();
  const confirm = await client.post('/api/profile/totp/confirm', { code: codeAt(secret, now - STEP_MS) });
  if (confirm.status !== 200) throw new Error(`POST /api/profile/totp/confirm: ${confirm.status} ${confirm.body}`);
  return { secret, uri, recoveryCodes: confirm.json<{ recoveryCodes: string[] }>().recoveryCodes };
}
