import type { PendingSignIn } from './pending-sign-in.js';
import type { SessionClock } from './session-timeouts.js';

/** How a session proved its user: what it signed in (or re-authenticated) with. */
export type SignInMethod = 'password' | 'totp' | 'recoveryCode' | 'passkey';

declare module 'express-session' {
  interface SessionData {
    /** Set by passport's serializer: the user's id, and nothing else about the user. */
    passport?: { user?: string };
    /** Present once signed in: the times the timeout rules read (session-timeouts.ts). */
    clock?: SessionClock;
    /**
     * When the user's password last changed, as of sign-in (epoch ms). A session whose stamp is
     * not the user's current one is refused (session-store.ts): it was signed in with an old
     * password.
     */
    credential?: number;
    /** The client as seen at sign-in, for the sessions list. */
    ip?: string;
    userAgent?: string;
    /** Per-session CSRF token for the signed-in pages' forms. */
    csrfToken?: string;
    /** What the session signed in and re-authenticated with, in the order first used. */
    methods?: SignInMethod[];
    /** When it last proved its user (sign-in or re-authentication), epoch ms: sudo mode runs from here (sudo.ts). */
    provenAt?: number;
    /**
     * The public handle of the id it signed in on (user-sessions.ts sessionHandle): the activity log
     * names the session by it (event-origin.ts), also after its id changes (a password change, a
     * re-authentication).
     */
    handle?: string;
    /** A sign-in waiting for its second factor, in a session that is not signed in (pending-sign-in.ts). */
    pending?: PendingSignIn;
    /**
     * A TOTP secret being set up, until its first code confirms it: encrypted (DATA_ENCRYPTION_KEY),
     * as in Postgres, and dropped after `expiresAt` (epoch ms).
     */
    totpEnrolment?: { secret: string; expiresAt: number };
  }
}

/**
 * What the session step made of a request (session-auth.ts): no session, a session that ended
 * (a correctly signed cookie whose session is gone or timed out), or signed in.
 */
export type SessionState = { kind: 'none' } | { kind: 'expired' } | { kind: 'signed-in'; userId: string; sessionId: string };

declare module 'express-serve-static-core' {
  interface Request {
    /** Set by the session step on every request except the health probes. */
    sessionState?: SessionState;
  }
}

export {};
