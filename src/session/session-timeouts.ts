/**
 * Every rule about when a session ends, in one place. Plain functions of a clock reading, so they
 * are unit-tested with a fake clock and reused by the middleware, the Redis TTL and the API.
 *
 * - Normal session: ends `idle` after it was last seen (sliding), and never later than `absolute`
 *   after sign-in, however active it is.
 * - Remember-me session: ends `remember` after sign-in; no idle timeout; the cookie is persistent.
 */

export interface SessionTimeouts {
  idleMs: number;
  absoluteMs: number;
  rememberMs: number;
}

export interface SessionClock {
  /** Sign-in time, epoch ms. */
  createdAt: number;
  /** Last recorded activity, epoch ms; recorded lazily (see RENEW_FRACTION). */
  lastSeenAt: number;
  rememberMe: boolean;
}

/**
 * Activity is written back (a Redis SET) only once this fraction of the idle window has passed
 * since the last write. Reads stay a single GET; the price is that the idle timeout may end a
 * session up to this fraction of the window early (30 min idle: between 27 and 30 min).
 */
export const RENEW_FRACTION = 0.1;

export function absoluteExpiresAt(s: SessionClock, t: SessionTimeouts): number {
  return s.createdAt + (s.rememberMe ? t.rememberMs : t.absoluteMs);
}

/** When the idle timeout ends the session, or null when it has none (remember-me). */
export function idleExpiresAt(s: SessionClock, t: SessionTimeouts): number | null {
  return s.rememberMe ? null : s.lastSeenAt + t.idleMs;
}

/** The moment the session ends if nothing more happens. */
export function expiresAt(s: SessionClock, t: SessionTimeouts): number {
  const idle = idleExpiresAt(s, t);
  const absolute = absoluteExpiresAt(s, t);
  return idle === null ? absolute : Math.min(idle, absolute);
}

export function isExpired(s: SessionClock, t: SessionTimeouts, now: number): boolean {
  return now >= expiresAt(s, t);
}

/** Whole seconds left, rounded down so the Redis TTL never outlives the session. */
export function secondsLeft(s: SessionClock, t: SessionTimeouts, now: number): number {
  return Math.max(0, Math.floor((expiresAt(s, t) - now) / 1000));
}

/** True when this request should record activity (and so push the idle expiry back). */
export function shouldRenew(s: SessionClock, t: SessionTimeouts, now: number): boolean {
  if (s.rememberMe || isExpired(s, t, now)) return false;
  // Nothing to gain once the absolute cap is nearer than the idle window.
  if (absoluteExpiresAt(s, t) <= s.lastSeenAt + t.idleMs) return false;
  return now - s.lastSeenAt >= t.idleMs * RENEW_FRACTION;
}

export function startClock(now: number, rememberMe: boolean): SessionClock {
  return { createdAt: now, lastSeenAt: now, rememberMe };
}
