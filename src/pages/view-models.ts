import type { PasskeyJson } from '../passkeys/passkeys.service.js';
import type { ActivityEntry, SecurityEventType } from '../activity/security-event.js';
import { UNKNOWN_DEVICE } from '../common/device-name.js';
import { VERIFICATION_SENT } from '../recovery/email-verification.service.js';
import { RESET_REQUESTED } from '../recovery/password-reset.service.js';
import type { SignInMethod } from '../session/session.types.js';
import type { SessionListItem } from '../session/user-sessions.js';
import { RECOVERY_CODE_COUNT } from '../two-step/recovery-codes.js';
import type { TwoStepStatus } from '../two-step/two-step.service.js';

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
  ['sign-in-ended', 'Your sign-in timed out or had too many wrong codes: enter your password again'],
  ['two-step-off', 'Two-step sign-in is off; your other sessions were signed out'],
  ['setup-expired', 'That setup expired before its code came: start again'],
  ['passkey-added', 'Passkey added: it signs you in without your password'],
  ['passkey-renamed', 'Passkey renamed'],
  ['passkey-removed', 'Passkey removed: it no longer signs you in'],
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
  /** How it signed in: "password + authenticator". */
  methods: string;
}

export function sessionRows(items: SessionListItem[], now = Date.now()): SessionRow[] {
  return items.map((item) => ({
    id: item.id,
    current: item.current,
    device: item.device,
    ip: item.ip ?? 'unknown address',
    createdAt: item.createdAt,
    signedIn: relativeTime(Date.parse(item.createdAt) - now),
    expiresAt: item.expiresAt,
    endsIn: relativeTime(Date.parse(item.expiresAt) - now),
    methods: methodsText(item.methods),
  }));
}

const METHOD_NAMES: Record<SignInMethod, string> = {
  password: 'password',
  totp: 'authenticator',
  recoveryCode: 'recovery code',
  passkey: 'passkey',
};

/**
 * `next` as a path on this site, or undefined: a page that sends the browser on after a form
 * (/reauthenticate?next=…) must never send it to another site. Only `/x…`, not `//host` or
 * `/\\host` (which browsers read as another host), and no control characters.
 */
export function localPath(next: unknown): string | undefined {
  if (typeof next !== 'string' || !/^\/(?![/\\])/.test(next) || [...next].some((c) => c < ' ' || c === '\u007f')) return undefined;
  const url = new URL(next, 'http://gatehouse.invalid');
  return url.origin === 'http://gatehouse.invalid' ? url.pathname + url.search : undefined;
}

/** What a session signed in with, for a person: `password + authenticator`. */
export function methodsText(methods: SignInMethod[]): string {
  return methods.map((method) => METHOD_NAMES[method]).join(' + ');
}

export interface SecurityView {
  twoStepOn: boolean;
  /** ISO time and its date, for `<time>`; null while off. */
  enabledAt: string | null;
  enabledOn: string | null;
  /** "7 of 10 recovery codes left"; null while off (there are none). */
  recoveryCodesLeft: string | null;
  /** None left: the page says to make new ones before the authenticator is lost too. */
  recoveryCodesOut: boolean;
}

export function securityView(status: TwoStepStatus): SecurityView {
  const { enabled, enabledAt } = status.totp;
  const left = status.recoveryCodesLeft;
  return {
    twoStepOn: enabled,
    enabledAt: enabled ? enabledAt : null,
    enabledOn: enabled ? (enabledAt?.slice(0, 10) ?? null) : null,
    recoveryCodesLeft: enabled ? `${left} of ${RECOVERY_CODE_COUNT} recovery codes left` : null,
    recoveryCodesOut: enabled && left === 0,
  };
}

export interface PasskeyRow {
  /** The credential id (base64url), as in the rename and remove forms' paths. */
  id: string;
  name: string;
  /** ISO times and their dates, for `<time>`; the last use null when never used. */
  createdAt: string;
  createdOn: string;
  lastUsedAt: string | null;
  lastUsedOn: string | null;
  /** Whether its provider keeps a copy (a synced passkey), in words. */
  backedUp: string;
  /** The passkey whose rename was just refused: its form shows what was typed and why (FormView). */
  renaming: boolean;
}

/** The passkeys on /security; `renaming` is the id in a refused rename's path, if any. */
export function passkeyRows(passkeys: PasskeyJson[], renaming?: string): PasskeyRow[] {
  return passkeys.map((passkey) => ({
    id: passkey.id,
    name: passkey.name,
    createdAt: passkey.createdAt,
    createdOn: passkey.createdAt.slice(0, 10),
    lastUsedAt: passkey.lastUsedAt,
    lastUsedOn: passkey.lastUsedAt?.slice(0, 10) ?? null,
    backedUp: passkey.backedUp ? 'Yes, synced by its provider' : 'No, on one device only',
    renaming: passkey.id === renaming,
  }));
}

/**
 * A TOTP secret as the setup page shows it for typing by hand: groups of four characters, which
 * the page spaces with CSS only, so that what is copied is the secret itself, not a spaced copy
 * some authenticator apps refuse.
 */
export function secretGroups(secret: string): string[] {
  return secret.match(/.{1,4}/g) ?? [];
}

export interface ActivityRow {
  /** Made by the session looking at the page: "This device". */
  current: boolean;
  /** A failed sign-in or second step, shown apart. */
  failure: boolean;
  /** ISO time, for `<time>`. */
  at: string;
  /** "2 hours ago". */
  when: string;
  /** "Chrome on macOS, 203.0.113.9". */
  where: string;
  /** "signed in with a passkey". */
  what: string;
}

/** How a sign-in's methods read in the log: "a passkey", "the password and an authenticator code". */
const SIGN_IN_WITH: Record<SignInMethod, string> = {
  password: 'the password',
  totp: 'an authenticator code',
  recoveryCode: 'a recovery code',
  passkey: 'a passkey',
};

const WHAT: Record<Exclude<SecurityEventType, 'sign-in'>, string> = {
  'sign-in-failed': 'failed sign-in',
  'second-factor-failed': 'wrong second step at sign-in',
  'password-changed': 'changed the password',
  'password-reset': 'reset the password with a mailed link',
  'email-verified': 'confirmed the email address',
  'totp-enabled': 'turned two-step sign-in on',
  'totp-disabled': 'turned two-step sign-in off',
  'recovery-codes-created': 'made new recovery codes',
  'recovery-code-used': 'used a recovery code',
  'passkey-added': 'added a passkey',
  'passkey-removed': 'removed a passkey',
  'session-revoked': 'signed another session out',
  'sessions-revoked': 'signed out everywhere else',
};

/** What an event says happened, for the activity page: "signed in with a passkey", "failed sign-in, 20 times". */
export function activityText(entry: Pick<ActivityEntry, 'type' | 'detail' | 'count'>): string {
  const { type, detail, count } = entry;
  if (type === 'sign-in') {
    if (detail?.registered) return 'created the account and signed in';
    const methods = (detail?.methods ?? []).filter((method): method is SignInMethod => method in SIGN_IN_WITH);
    return methods.length === 0 ? 'signed in' : `signed in with ${methods.map((method) => SIGN_IN_WITH[method]).join(' and ')}`;
  }
  return count > 1 ? `${WHAT[type]}, ${count} times` : WHAT[type];
}

export function activityRows(entries: ActivityEntry[], now = Date.now()): ActivityRow[] {
  return entries.map((entry) => ({
    current: entry.current,
    failure: entry.type === 'sign-in-failed' || entry.type === 'second-factor-failed',
    at: entry.at.toISOString(),
    when: relativeTime(entry.at.getTime() - now),
    // "An operator, 2 days ago: turned two-step sign-in off" (docs/operations.md, Turning a user's two-step sign-in off).
    where: entry.detail?.by === 'operator' ? 'An operator' : `${entry.device ?? UNKNOWN_DEVICE}, ${entry.ip ?? 'unknown address'}`,
    what: activityText(entry),
  }));
}
