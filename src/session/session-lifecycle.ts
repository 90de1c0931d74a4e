import { Injectable, Logger } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import type { Request, Response } from 'express';
import type { AppConfig } from '../config/config.schema.js';
import type { User } from '../users/user.entity.js';
import { logIn } from './passport-login.js';
import { isPendingLive, PENDING_SIGN_IN_ATTEMPTS, PENDING_SIGN_IN_MS, type PendingSignIn } from './pending-sign-in.js';
import { clearingCookieOptions, cookieMaxAge } from './session-cookie.js';
import { compactUserAgent } from './session-record.js';
import { SessionStore } from './session-store.js';
import { absoluteExpiresAt, idleExpiresAt, startClock } from './session-timeouts.js';
import type { SignedIn } from './current-session.js';
import { inSudoMode, sudoExpiresAt } from './sudo.js';
import type { SignInMethod } from './session.types.js';
import { sessionHandle, UserSessions } from './user-sessions.js';
import './session.types.js';

export interface CurrentSessionView {
  id: string;
  createdAt: string;
  lastSeenAt: string;
  idleExpiresAt: string | null;
  absoluteExpiresAt: string;
  rememberMe: boolean;
  /** What it signed in and re-authenticated with. */
  methods: SignInMethod[];
  /** When sudo mode ends: SUDO_TIMEOUT after the last sign-in or re-authentication; null once it has. */
  sudoExpiresAt: string | null;
}

const iso = (ms: number) => new Date(ms).toISOString();

/**
 * This request's session: sign in (start), a new id after a password change (rotate), sign out
 * (end). Requests are authenticated by the session step (session-auth.ts); the user's other
 * sessions are UserSessions'.
 */
@Injectable()
export class SessionLifecycle {
  private readonly logger = new Logger('Session');
  private readonly cookie: AppConfig['session']['cookie'];
  private readonly sudoMs: number;
  private warnedInsecure = false;

  constructor(
    config: ConfigService<AppConfig, true>,
    private readonly store: SessionStore,
    private readonly userSessions: UserSessions,
  ) {
    const settings = config.get('session', { infer: true });
    this.cookie = settings.cookie;
    this.sudoMs = settings.sudoTimeoutMs;
  }

  /**
   * Signs the user in on a fresh session id (the pre-login id, which an attacker may have
   * planted, is destroyed: passport-login.ts), stamped with the password the user signed in with,
   * and with how it signed in (sudo mode starts), and ends the least recently used sessions
   * beyond the per-user cap.
   */
  async start(req: Request, user: User, rememberMe: boolean, methods: SignInMethod[], now = Date.now()): Promise<void> {
    await logIn(req, user, false);
    const clock = startClock(now, rememberMe);
    req.session.handle = sessionHandle(req.sessionID);
    req.session.clock = clock;
    req.session.methods = methods;
    req.session.provenAt = now;
    req.session.credential = user.passwordChangedAt.getTime();
    req.session.ip = req.ip;
    const userAgent = req.get('user-agent');
    req.session.userAgent = userAgent === undefined ? undefined : compactUserAgent(userAgent);
    req.session.cookie.maxAge = cookieMaxAge(clock, this.store.timeouts, now);
    await save(req);
    await this.userSessions.enforceCap(user.id, req.sessionID, now);
    this.warnIfCookieWillBeDropped(req);
  }

  /**
   * The password was right and a second factor is due (README, Two-step sign-in): a new session id
   * (the old one destroyed, as at sign-in) holding only the pending sign-in, signed in nowhere,
   * for PENDING_SIGN_IN_MS.
   */
  async startPending(req: Request, user: User, rememberMe: boolean, now = Date.now()): Promise<void> {
    await new Promise<void>((resolve, reject) => req.session.regenerate((err) => (err ? reject(err) : resolve())));
    req.session.pending = { userId: user.id, rememberMe, startedAt: now, credential: user.passwordChangedAt.getTime() };
    req.session.cookie.maxAge = PENDING_SIGN_IN_MS;
    await save(req);
  }

  /** This request's pending sign-in, while it lasts. */
  pendingSignIn(req: Request, now = Date.now()): PendingSignIn | undefined {
    const pending = req.session?.pending;
    return pending && this.store.isStored(req.session) && isPendingLive(pending, now) ? pending : undefined;
  }

  /**
   * The second factor checked out: the pending sign-in becomes a session, on a new id. Only one
   * request can take a pending sign-in (SessionStore.claim); false for the others.
   */
  async completePending(req: Request, user: User, pending: PendingSignIn, method: SignInMethod, now = Date.now()): Promise<boolean> {
    if (!(await this.store.claim(req.sessionID))) return false;
    await this.start(req, user, pending.rememberMe, ['password', method], now);
    return true;
  }

  /**
   * A wrong code for the pending sign-in: the PENDING_SIGN_IN_ATTEMPTS-th ends it (deleted, so the
   * next code meets "No sign-in in progress"). Returns whether it ended.
   */
  async pendingFailed(req: Request): Promise<boolean> {
    const failures = await this.store.countPendingFailure(req.sessionID, PENDING_SIGN_IN_MS);
    if (failures < PENDING_SIGN_IN_ATTEMPTS) return false;
    await this.endPending(req);
    return true;
  }

  /** Ends this request's pending sign-in: the password step starts over. */
  async endPending(req: Request): Promise<void> {
    await this.store.claim(req.sessionID);
  }

  /**
   * After the user's password changed: the current session gets a new id (anyone who learnt the
   * old one holds nothing) and the new password's stamp; every other session is revoked.
   */
  async rotate(req: Request, user: User, changedAt: Date): Promise<void> {
    await this.userSessions.credentialChanged(user.id, changedAt);
    await this.userSessions.revokeOthers(user.id, req.sessionID);
    req.session.credential = changedAt.getTime(); // copied to the new id by keepSessionInfo
    // The current password was just checked: that is a re-authentication too.
    this.markProven(req, 'password', changedAt.getTime());
    // Nor does the form token outlive the password: a page rendered before it issues a new one.
    delete req.session.csrfToken;
    await logIn(req, user, true); // destroys the old id, record and index entry
  }

  /**
   * The signed-in user proved it again (sudo mode, docs/sessions.md): a new id, as at sign-in, so
   * an id that leaked before the proof is worth nothing after it; sudo mode from now on.
   */
  async reauthenticated(req: Request, user: User, method: SignInMethod, now = Date.now()): Promise<void> {
    this.markProven(req, method, now);
    await logIn(req, user, true); // keeps the session's data, destroys the old id
  }

  private markProven(req: Request, method: SignInMethod, at: number): void {
    req.session.provenAt = at;
    const methods = req.session.methods ?? [];
    req.session.methods = methods.includes(method) ? methods : [...methods, method];
  }

  /** Deletes the session record and index entry, and clears the cookie (also when signed out). */
  async end(req: Request, res: Response): Promise<void> {
    if (req.session) {
      await new Promise<void>((resolve, reject) => req.session.destroy((err) => (err ? reject(err) : resolve())));
    }
    this.clearCookie(res);
  }

  clearCookie(res: Response): void {
    res.clearCookie(this.cookie.name, clearingCookieOptions(this.cookie));
  }

  /** `GET /api/session`: this session's times and methods, never its id. */
  describe(me: SignedIn, now = Date.now()): CurrentSessionView {
    const { sessionId, clock } = me;
    const idle = idleExpiresAt(clock, this.store.timeouts);
    return {
      id: sessionHandle(sessionId),
      createdAt: iso(clock.createdAt),
      lastSeenAt: iso(clock.lastSeenAt),
      idleExpiresAt: idle === null ? null : iso(idle),
      absoluteExpiresAt: iso(absoluteExpiresAt(clock, this.store.timeouts)),
      rememberMe: clock.rememberMe,
      methods: me.methods,
      sudoExpiresAt: inSudoMode(me, this.sudoMs, now) ? iso(sudoExpiresAt(me, this.sudoMs)) : null,
    };
  }

  /**
   * express-session silently drops a Secure cookie when the request does not look like HTTPS to
   * Express: the classic "login works, cookie never sticks" behind a proxy. Say so once, loudly.
   */
  private warnIfCookieWillBeDropped(req: Request): void {
    if (!this.cookie.secure || req.secure || this.warnedInsecure) return;
    this.warnedInsecure = true;
    const forwarded = req.get('x-forwarded-proto');
    this.logger.warn(
      'Session cookie NOT sent: SESSION_COOKIE_SECURE is on but this request reached the app as plain http' +
        (forwarded ? ` (it carries X-Forwarded-Proto: ${forwarded.slice(0, 10)} from a proxy the app does not trust)` : '') +
        '. Set TRUST_PROXY to your reverse proxy address (or hop count) so Express believes its X-Forwarded-Proto.' +
        ' `npm run doctor -- --url https://your.host` checks the deployment (README: Troubleshooting).',
    );
  }
}

function save(req: Request): Promise<void> {
  return new Promise((resolve, reject) => req.session.save((err) => (err ? reject(err) : resolve())));
}
