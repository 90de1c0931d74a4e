import { Injectable, Logger } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import type { Request, Response } from 'express';
import type { AppConfig } from '../config/config.schema.js';
import type { User } from '../users/user.entity.js';
import { logIn } from './passport-login.js';
import { clearingCookieOptions, cookieMaxAge } from './session-cookie.js';
import { deviceName } from './session-record.js';
import { SessionStore } from './session-store.js';
import { absoluteExpiresAt, idleExpiresAt, type SessionClock, startClock } from './session-timeouts.js';
import { sessionHandle, UserSessions } from './user-sessions.js';
import './session.types.js';

export interface CurrentSessionView {
  id: string;
  createdAt: string;
  lastSeenAt: string;
  idleExpiresAt: string | null;
  absoluteExpiresAt: string;
  rememberMe: boolean;
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
  private warnedInsecure = false;

  constructor(
    config: ConfigService<AppConfig, true>,
    private readonly store: SessionStore,
    private readonly userSessions: UserSessions,
  ) {
    this.cookie = config.get('session', { infer: true }).cookie;
  }

  /**
   * Signs the user in on a fresh session id (the pre-login id, which an attacker may have
   * planted, is destroyed: passport-login.ts), stamped with the password the user signed in with,
   * and ends the least recently used sessions beyond the per-user cap.
   */
  async start(req: Request, user: User, rememberMe: boolean, now = Date.now()): Promise<void> {
    await logIn(req, user, false);
    const clock = startClock(now, rememberMe);
    req.session.clock = clock;
    req.session.credential = user.passwordChangedAt.getTime();
    req.session.ip = req.ip;
    const userAgent = req.get('user-agent');
    req.session.userAgent = userAgent === undefined ? undefined : deviceName(userAgent);
    req.session.cookie.maxAge = cookieMaxAge(clock, this.store.timeouts, now);
    await save(req);
    await this.userSessions.enforceCap(user.id, req.sessionID, now);
    this.warnIfCookieWillBeDropped(req);
  }

  /**
   * After the user's password changed: the current session gets a new id (anyone who learnt the
   * old one holds nothing) and the new password's stamp; every other session is revoked.
   */
  async rotate(req: Request, user: User, changedAt: Date): Promise<void> {
    await this.userSessions.credentialChanged(user.id, changedAt);
    await this.userSessions.revokeOthers(user.id, req.sessionID);
    req.session.credential = changedAt.getTime(); // copied to the new id by keepSessionInfo
    // Nor does the form token outlive the password: a page rendered before it issues a new one.
    delete req.session.csrfToken;
    await logIn(req, user, true); // destroys the old id, record and index entry
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

  /** `GET /api/session`: this session's times, never its id. */
  describe(sessionId: string, clock: SessionClock): CurrentSessionView {
    const idle = idleExpiresAt(clock, this.store.timeouts);
    return {
      id: sessionHandle(sessionId),
      createdAt: iso(clock.createdAt),
      lastSeenAt: iso(clock.lastSeenAt),
      idleExpiresAt: idle === null ? null : iso(idle),
      absoluteExpiresAt: iso(absoluteExpiresAt(clock, this.store.timeouts)),
      rememberMe: clock.rememberMe,
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
