import { createHash } from 'node:crypto';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import type { Request, Response } from 'express';
import type { SessionData } from 'express-session';
import passport from 'passport';
import type { AppConfig } from '../config/config.schema.js';
import type { User } from '../users/user.entity.js';
import { clearingCookieOptions, cookieMaxAge } from './session-cookie.js';
import { deviceName } from './session-record.js';
import { SessionStore } from './session-store.js';
import {
  absoluteExpiresAt,
  expiresAt,
  idleExpiresAt,
  isExpired,
  type SessionClock,
  type SessionTimeouts,
  startClock,
} from './session-timeouts.js';
import { SESSION_STORE, SESSION_TIMEOUTS } from './session.tokens.js';
import './session.types.js';

export interface CurrentSessionView {
  id: string;
  createdAt: string;
  lastSeenAt: string;
  idleExpiresAt: string | null;
  absoluteExpiresAt: string;
  rememberMe: boolean;
}

export interface SessionListItem {
  id: string;
  current: boolean;
  createdAt: string;
  lastSeenAt: string;
  expiresAt: string;
  ip: string | null;
  userAgent: string | null;
}

const iso = (ms: number) => new Date(ms).toISOString();

/**
 * A user's sessions: sign in (start), a new id after a password change (rotate), sign out (end),
 * the devices list, revoking, and the per-user cap. Requests are authenticated elsewhere
 * (session-auth.ts); the Redis records and the index are the store's (session-store.ts).
 */
@Injectable()
export class SessionService {
  private readonly logger = new Logger(SessionService.name);
  private readonly cookie: AppConfig['session']['cookie'];
  private readonly maxPerUser: number;
  private warnedInsecure = false;

  constructor(
    config: ConfigService<AppConfig, true>,
    @Inject(SESSION_STORE) private readonly store: SessionStore,
    @Inject(SESSION_TIMEOUTS) private readonly timeouts: SessionTimeouts,
  ) {
    const session = config.get('session', { infer: true });
    this.cookie = session.cookie;
    this.maxPerUser = session.maxPerUser;
  }

  /** A stable public handle for a session: never the session id itself nor the cookie value. */
  handle(sessionId: string): string {
    return createHash('sha256').update(sessionId).digest('hex');
  }

  /**
   * Signs the user in on a fresh session id (passport regenerates it: the pre-login id, which an
   * attacker may have planted, is destroyed), stamped with the password the user signed in with,
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
    req.session.cookie.maxAge = cookieMaxAge(clock, this.timeouts, now);
    await save(req);
    await this.enforceCap(user.id, req.sessionID, now);
    this.warnIfCookieWillBeDropped(req);
  }

  /**
   * After the user's password changed: the current session gets a new id (anyone who learnt the
   * old one holds nothing) and the new password's stamp; every other session is revoked.
   */
  async passwordChanged(req: Request, user: User, changedAt: Date): Promise<void> {
    await this.credentialChanged(user.id, changedAt);
    await this.revokeOthers(user.id, req.sessionID);
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

  describe(sessionId: string, clock: SessionClock): CurrentSessionView {
    const idle = idleExpiresAt(clock, this.timeouts);
    return {
      id: this.handle(sessionId),
      createdAt: iso(clock.createdAt),
      lastSeenAt: iso(clock.lastSeenAt),
      idleExpiresAt: idle === null ? null : iso(idle),
      absoluteExpiresAt: iso(absoluteExpiresAt(clock, this.timeouts)),
      rememberMe: clock.rememberMe,
    };
  }

  /** The user's live sessions, the current one first, then the most recently used. */
  async list(userId: string, currentSessionId: string, now = Date.now()): Promise<SessionListItem[]> {
    const live = await this.live(userId, now);
    return live
      .map(({ id, data }) => ({
        id: this.handle(id),
        current: id === currentSessionId,
        createdAt: iso(data.clock!.createdAt),
        lastSeenAt: iso(data.clock!.lastSeenAt),
        expiresAt: iso(expiresAt(data.clock!, this.timeouts)),
        ip: data.ip ?? null,
        userAgent: data.userAgent ?? null,
      }))
      .sort((a, b) => Number(b.current) - Number(a.current) || b.lastSeenAt.localeCompare(a.lastSeenAt));
  }

  /** Revokes one of the user's sessions by its public handle; false when it is not theirs. */
  async revoke(userId: string, handle: string): Promise<boolean> {
    const ids = await this.store.sessionIds(userId, this.listLimit());
    const id = ids.find((candidate) => this.handle(candidate) === handle);
    if (!id) return false;
    await this.store.destroySessions(userId, [id]);
    return true;
  }

  /** Revokes every session of the user except the current one. */
  async revokeOthers(userId: string, currentSessionId: string): Promise<void> {
    const ids = await this.store.sessionIds(userId, this.listLimit());
    await this.store.destroySessions(
      userId,
      ids.filter((id) => id !== currentSessionId),
    );
  }

  /** Revokes every session of the user (a password reset, an account deleted). */
  async revokeAll(userId: string): Promise<void> {
    await this.store.destroySessions(userId, await this.store.sessionIds(userId, this.listLimit()));
  }

  /**
   * Before a password change is written: from now on the user's sessions are checked against
   * Postgres (see SessionStore.credentialChanging), so a failure half-way leaves none signed in
   * with the old password.
   */
  credentialChanging(userId: string): Promise<void> {
    return this.store.credentialChanging(userId);
  }

  /** After the change is committed: the new stamp, which only sessions signed in since carry. */
  credentialChanged(userId: string, changedAt: Date): Promise<void> {
    return this.store.credentialChanged(userId, changedAt.getTime());
  }

  /** The cap plus room for sessions that sign in at the same moment; the index never holds more. */
  private listLimit(): number {
    return this.maxPerUser * 2;
  }

  /** The user's sessions whose records are there and unexpired; index entries without one are dropped. */
  private async live(userId: string, now: number): Promise<{ id: string; data: SessionData }[]> {
    const ids = await this.store.sessionIds(userId, this.listLimit(), now);
    const records = await this.store.records(ids);
    const live: { id: string; data: SessionData }[] = [];
    const gone: string[] = [];
    ids.forEach((id, i) => {
      const data = records[i];
      if (data?.clock && data.passport?.user === userId && !isExpired(data.clock, this.timeouts, now)) live.push({ id, data });
      else gone.push(id);
    });
    await this.store.destroySessions(userId, gone);
    return live;
  }

  /** Ends the least recently used sessions beyond SESSION_MAX_PER_USER, never the new one. */
  private async enforceCap(userId: string, currentSessionId: string, now: number): Promise<void> {
    const live = await this.live(userId, now);
    if (live.length <= this.maxPerUser) return;
    const oldest = live
      .filter(({ id }) => id !== currentSessionId)
      .sort((a, b) => a.data.clock!.lastSeenAt - b.data.clock!.lastSeenAt)
      .slice(0, live.length - this.maxPerUser)
      .map(({ id }) => id);
    await this.store.destroySessions(userId, oldest);
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

/**
 * passport.initialize() adds `req.logIn` and its session manager to a request. Only the requests
 * that sign in need them, so it runs here rather than on every request (session-auth.ts).
 * compat: false skips the `req._passport` object kept for strategies of passport 0.4.
 */
const initializePassport = passport.initialize({ compat: false });

/**
 * passport's logIn: a new session id, the user's id in it, saved. keepSessionInfo keeps the
 * session's other data (clock, device) across the new id.
 */
function logIn(req: Request, user: User, keepSessionInfo: boolean): Promise<void> {
  // Synchronous: it only sets properties, then calls next.
  initializePassport(req, undefined as unknown as Response, () => {});
  return new Promise((resolve, reject) => req.logIn(user, { session: true, keepSessionInfo }, (err) => (err ? reject(err) : resolve())));
}

function save(req: Request): Promise<void> {
  return new Promise((resolve, reject) => req.session.save((err) => (err ? reject(err) : resolve())));
}
