import { VERIFICATION_SENT } from '../recovery/email-verification.service.js';
import { RESET_REQUESTED } from '../recovery/password-reset.service.js';
import type { SessionListItem } from '../session/user-sessions.js';

/**
 * What the templates get: plain objects whose text is already formatted, so the templates hold
 * no logic and Handlebars needs no helpers for it.
 */

/**
 * Messages a redirect asks the next page to show, by a fixed key in `?notice=`. Only these fixed
 * strings are ever shown: the query picks one, it never supplies text (no content injection).
 * A query flag rather than a flash in the session: after a sign-out or an expiry there is no
 * session to keep a flash in.
 */
const NOTICES = new Map([
  ['expired', 'Your session expired'],
  ['signed-out', 'Signed out'],
  ['password-changed', 'Password changed; your other sessions were signed out'],
  ['profile-saved', 'Display name saved'],
  ['session-revoked', 'That session was signed out'],
  ['others-revoked', 'Signed out everywhere else'],
  ['reset-requested', RESET_REQUESTED],
  ['password-reset', 'Password changed and every session signed out: sign in with the new password'],
  ['email-verified', 'Email address confirmed'],
  ['verification-sent', VERIFICATION_SENT],
]);

export function noticeText(key: unknown): string | undefined {
  return typeof key === 'string' ? NOTICES.get(key) : undefined;
}

/**
 * An email as a reset page names its account: enough for its owner to recognise it (the first
 * character of the name and the domain), e.g. `a••@example.com`.
 */
export function maskEmail(email: string): string {
  const at = email.lastIndexOf('@');
  return `${[...email.slice(0, at)][0] ?? ''}••${email.slice(at)}`;
}

const RELATIVE = new Intl.RelativeTimeFormat('en', { numeric: 'auto' });
const UNITS: [Intl.RelativeTimeFormatUnit, number][] = [
  ['day', 86_400_000],
  ['hour', 3_600_000],
  ['minute', 60_000],
  ['second', 1_000],
];

/** "in 4 minutes", "2 hours ago", "now": the largest whole unit, rounded towards zero. */
export function relativeTime(deltaMs: number): string {
  const [unit, size] = UNITS.find(([, size]) => Math.abs(deltaMs) >= size) ?? UNITS[UNITS.length - 1];
  return RELATIVE.format(Math.trunc(deltaMs / size), unit);
}

export interface SessionRow {
  id: string;
  current: boolean;
  device: string;
  ip: string;
  createdAt: string;
  signedIn: string;
  expiresAt: string;
  endsIn: string;
}

export function sessionRows(items: SessionListItem[], now = Date.now()): SessionRow[] {
  return items.map((item) => ({
    id: item.id,
    current: item.current,
    device: item.userAgent ?? 'Unknown device',
    ip: item.ip ?? 'unknown address',
    createdAt: item.createdAt,
    signedIn: relativeTime(Date.parse(item.createdAt) - now),
    expiresAt: item.expiresAt,
    endsIn: relativeTime(Date.parse(item.expiresAt) - now),
  }));
}
