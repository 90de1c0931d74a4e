import type { SessionClock } from './session-timeouts.js';

declare module 'express-session' {
  interface SessionData {
    /** Set by passport's serializer: the user's id, and nothing else about the user. */
    passport?: { user?: string };
    /** Present once signed in: the times the timeout rules read (session-timeouts.ts). */
    clock?: SessionClock;
    /** The client as seen at sign-in, for the sessions list. */
    ip?: string;
    userAgent?: string;
    /** Per-session CSRF token for HTML forms. */
    csrfToken?: string;
  }
}

declare module 'express-serve-static-core' {
  interface Request {
    /**
     * True when the request carried a correctly signed cookie for a session that no longer
     * exists or has timed out: the client is told "Session expired" instead of "Not authenticated".
     */
    sessionExpired?: boolean;
  }
}

export {};
