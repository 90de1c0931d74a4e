/** What the activity log records (SPEC section 8), one word each; the migration's CHECK lists the same. */
export const SECURITY_EVENT_TYPES = [
  'sign-in',
  'sign-in-failed',
  'second-factor-failed',
  'password-changed',
  'password-reset',
  'email-verified',
  'totp-enabled',
  'totp-disabled',
  'recovery-codes-created',
  'recovery-code-used',
  'passkey-added',
  'passkey-removed',
  'session-revoked',
  'sessions-revoked',
] as const;

export type SecurityEventType = (typeof SECURITY_EVENT_TYPES)[number];

/** The failures, recorded one row per burst (SecurityEvents.recordFailure) rather than one per request. */
export type FailureType = Extract<SecurityEventType, 'sign-in-failed' | 'second-factor-failed'>;

/** The changes recorded with SecurityEvents.record; a sign-in and the failures have their own methods. */
export type ChangeType = Exclude<SecurityEventType, 'sign-in' | 'recovery-code-used' | FailureType>;

/**
 * Where an event came from: the client address, the device's name (common/device-name.ts) and the
 * public handle of the session that made it, when it was made in one (the SHA-256 of the id it
 * signed in on, session/event-origin.ts). Never the session id itself. All unknown for an
 * operator's command.
 */
export interface EventOrigin {
  ip?: string;
  device?: string;
  session?: string;
}

/**
 * A few words of context, never a secret: how a sign-in was made (`methods`, as in GET
 * /api/session), that it was the one at registration, that an operator made the change.
 */
export interface EventDetail {
  methods?: string[];
  registered?: true;
  by?: 'operator';
}

/** An event as a user's activity page and GET /api/profile/activity read it. */
export interface ActivityEntry {
  type: SecurityEventType;
  at: Date;
  ip: string | null;
  device: string | null;
  /** Made by the session that asks. */
  current: boolean;
  detail: EventDetail | null;
  /** How many failures a burst row stands for; 1 for every other event. */
  count: number;
}
