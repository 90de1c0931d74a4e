/*
 * An authenticator's signature counter (WebAuthn Level 3, 6.1.1): a device-bound authenticator
 * counts its signatures, so an assertion whose counter does not go past the last one accepted
 * comes from a copy of the key (a cloned authenticator) or is a replay. A synced passkey (iCloud
 * Keychain, Google Password Manager) is on several devices at once and keeps no counter: it always
 * says 0, and that must keep working.
 *
 * @simplewebauthn/server applies the same rule; Gatehouse applies it again where it stores the
 * counter, as a compare-and-set (passkeys.service.ts), so that two assertions racing with the
 * same counter value cannot both be accepted.
 */

/** Whether an assertion counting `received` may follow the last accepted `stored`. */
export function signCounterAdvances(stored: number, received: number): boolean {
  if (stored === 0 && received === 0) return true; // no counter: a synced passkey
  return received > stored;
}
