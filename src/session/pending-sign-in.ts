/*
 * A pending sign-in (README, Two-step sign-in): the password was right, the second factor is
 * still to come. It lives in a session that is *not* signed in (no `passport.user`, so the session
 * step finds nobody and every protected route answers 401), on a new id, for five minutes.
 */

/** How long the second step may take. */
export const PENDING_SIGN_IN_MS = 5 * 60_000;
/** Wrong codes that end a pending sign-in: the password is asked again. */
export const PENDING_SIGN_IN_ATTEMPTS = 5;

export interface PendingSignIn {
  /** Whose password was right. */
  userId: string;
  /** Asked for at the password step; the session the second step starts keeps it. */
  rememberMe: boolean;
  /** When the password was checked, epoch ms. */
  startedAt: number;
  /** The user's password stamp at that time: a password change or reset meanwhile ends it. */
  credential: number;
}

export function pendingExpiresAt(pending: PendingSignIn): number {
  return pending.startedAt + PENDING_SIGN_IN_MS;
}

export function isPendingLive(pending: PendingSignIn, now: number): boolean {
  return now < pendingExpiresAt(pending);
}
