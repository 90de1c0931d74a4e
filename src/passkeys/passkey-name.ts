/*
 * A passkey's name when the owner gives none (docs/passkeys.md). The authenticator does not say
 * what it is: with attestation `none` its AAGUID is all there is, and naming it needs the FIDO
 * metadata service (a download this app does not make). So the name says where and when it was
 * added, from the browser's User-Agent, which the owner recognises in the list and can rename:
 * "Passkey added on Mac, 2026-12-06".
 */

/** Passkey names are at most this long (the column's length). */
export const PASSKEY_NAME_MAX = 64;

/** The platforms a User-Agent names, most specific first (an iPad's says "Mac OS X" too, Android's "Linux"). */
const PLATFORMS: [RegExp, string][] = [
  [/\biPhone\b/, 'iPhone'],
  [/\biPad\b/, 'iPad'],
  [/\bAndroid\b/, 'Android'],
  [/\bCrOS\b/, 'ChromeOS'],
  [/\bMac OS X\b|\bMacintosh\b/, 'Mac'],
  [/\bWindows\b/, 'Windows'],
  [/\bLinux\b/, 'Linux'],
];

export function defaultPasskeyName(userAgent: string | undefined, now: Date): string {
  const platform = PLATFORMS.find(([pattern]) => pattern.test(userAgent ?? ''))?.[1];
  const day = now.toISOString().slice(0, 10);
  return platform ? `Passkey added on ${platform}, ${day}` : `Passkey added ${day}`;
}
