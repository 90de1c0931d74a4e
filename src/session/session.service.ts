import { createHash } from 'node:crypto';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import type { Request, Response } from 'express';
import type { SessionData } from 'express-session';
import type { AppConfig } from '../config/config.schema.js';
import { REDIS_CLIENT, type RedisClient } from '../redis/redis.module.js';
import type { User } from '../users/user.entity.js';
import { clearingCookieOptions, signedSessionId } from './session-cookie.js';
import { SessionIndex } from './session-index.js';
import {
  absoluteExpiresAt,
  expiresAt,
  idleExpiresAt,
  isExpired,
  type SessionTimeouts,
  shouldRenew,
  startClock,
} from './session-timeouts.js';
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
 * Sign-in, sign-out, renewal, listing and revocation of sessions. express-session owns the cookie
 * and the `sess:<id>` record; this service owns what a session means (session-timeouts.ts) and
 * the per-user index (session-index.ts).
 */
@Injectable()
export class SessionService {
  private readonly logger = new Logger(SessionService.name);
  private readonly index: SessionIndex;
  readonly timeouts: SessionTimeouts;
  private readonly cookie: AppConfig['session']['cookie'];
  private readonly secrets: string[];
  private warnedInsecure = false;

  constructor(config: ConfigService<AppConfig, true>, @Inject(REDIS_CLIENT) redis: RedisClient) {
    const session = config.get('session', { infer: true });
    this.timeouts = {
      idleMs: session.idleTimeoutMs,
      absoluteMs: session.absoluteTimeoutMs,
      rememberMs: session.rememberTimeoutMs,
    };
    this.cookie = session.cookie;
    this.secrets = session.secrets;
    this.index = new SessionIndex(redis);
  }

  /** A stable public handle for a session: never the session id itself nor the cookie value. */
  handle(sessionId: string): string {
    return createHash('sha256').update(sessionId).digest('hex');
  }

  /**
   * Signs the user in on a fresh session id (passport regenerates it: the pre-login id, which an
   * attacker may have planted, is destroyed) and records the session in the user's index.
   */
  async start(req: Request, user: User, rememberMe: boolean, now = Date.now()): Promise<void> {
    await new Promise<void>((resolve, reject) => req.logIn(user, (err) => (err ? reject(err) : resolve())));
    const clock = startClock(now, rememberMe);
    req.session.clock = clock;
    req.session.ip = req.ip;
    req.session.userAgent = req.get('user-agent')?.slice(0, 256);
    this.applyCookieLifetime(req, now);
    await this.save(req);
    await this.index.add(user.id, req.sessionID, expiresAt(clock, this.timeouts), now);
    this.warnIfCookieWillBeDropped(req);
  }

  /**
   * Gives the current session a new id, keeping its data (after a password change): anyone who
   * learnt the old id holds nothing.
   */
  async rotate(req: Request, user: User): Promise<void> {
    const oldId = req.sessionID;
    await new Promise<void>((resolve, reject) =>
      req.logIn(user, { session: true, keepSessionInfo: true }, (err) => (err ? reject(err) : resolve())),
    );
    await this.index.remove(user.id, [oldId]);
    await this.index.add(user.id, req.sessionID, expiresAt(req.session.clock!, this.timeouts));
  }

  /** Deletes the session record and index entry, and clears the cookie (also when signed out). */
  async end(req: Request, res: Response): Promise<void> {
    const userId = req.session?.passport?.user;
    const sessionId = req.sessionID;
    if (req.session) {
      await new Promise<void>((resolve, reject) => req.session.destroy((err) => (err ? reject(err) : resolve())));
    }
    if (userId && sessionId) await this.index.remove(userId, [sessionId]);
    this.clearCookie(res);
  }

  clearCookie(res: Response): void {
    res.clearCookie(this.cookie.name, clearingCookieOptions(this.cookie));
  }

  /**
   * Runs on every request after express-session loaded the session, before passport reads it:
   * ends timed-out sessions, marks requests whose signed cookie points at a session that is gone,
   * and records activity when enough of the idle window has passed (RENEW_FRACTION).
   */
  async refresh(req: Request, now = Date.now()): Promise<void> {
    const cookieId = signedSessionId(req, this.cookie.name, this.secrets);
    // express-session gives a request a new, empty session when the cookie's one is not in Redis.
    if (cookieId !== undefined && cookieId !== req.sessionID) {
      req.sessionExpired = true;
      return;
    }
    const { clock, passport } = req.session;
    if (!clock || !passport?.user) return;
    if (isExpired(clock, this.timeouts, now)) {
      await this.index.remove(passport.user, [req.sessionID]);
      // Destroys the record and gives the request a fresh, empty (unsaved) session.
      await new Promise<void>((resolve, reject) => req.session.regenerate((err) => (err ? reject(err) : resolve())));
      req.sessionExpired = true;
      return;
    }
    if (shouldRenew(clock, this.timeouts, now)) {
      clock.lastSeenAt = now; // modifies the session: express-session saves it with a fresh TTL
      await this.index.add(passport.user, req.sessionID, expiresAt(clock, this.timeouts), now);
    }
    this.applyCookieLifetime(req, now);
  }

  /** The Redis TTL of a session record: the time it has left, never more. */
  ttlSeconds(session: SessionData, now = Date.now()): number {
    if (!session.clock) return Math.floor(this.timeouts.idleMs / 1000);
    return Math.max(0, Math.floor((expiresAt(session.clock, this.timeouts) - now) / 1000));
  }

  describe(req: Request): CurrentSessionView {
    const clock = req.session.clock!;
    const idle = idleExpiresAt(clock, this.timeouts);
    return {
      id: this.handle(req.sessionID),
      createdAt: iso(clock.createdAt),
      lastSeenAt: iso(clock.lastSeenAt),
      idleExpiresAt: idle === null ? null : iso(idle),
      absoluteExpiresAt: iso(absoluteExpiresAt(clock, this.timeouts)),
      rememberMe: clock.rememberMe,
    };
  }

  async list(userId: string, currentSessionId: string, now = Date.now()): Promise<SessionListItem[]> {
    const ids = await this.index.sessionIds(userId, now);
    const records = await this.index.records(ids);
    const gone: string[] = [];
    const items: SessionListItem[] = [];
    ids.forEach((id, i) => {
      const raw = records[i];
      const data = raw ? (JSON.parse(raw) as SessionData) : undefined;
      if (!data?.clock || data.passport?.user !== userId || isExpired(data.clock, this.timeouts, now)) {
        gone.push(id);
        return;
      }
      items.push({
        id: this.handle(id),
        current: id === currentSessionId,
        createdAt: iso(data.clock.createdAt),
        lastSeenAt: iso(data.clock.lastSeenAt),
        expiresAt: iso(expiresAt(data.clock, this.timeouts)),
        ip: data.ip ?? null,
        userAgent: data.userAgent ?? null,
      });
    });
    await this.index.remove(userId, gone);
    return items.sort((a, b) => Number(b.current) - Number(a.current) || b.lastSeenAt.localeCompare(a.lastSeenAt));
  }

  /** Revokes one of the user's sessions by its public handle; false when it is not theirs. */
  async revoke(userId: string, handle: string): Promise<boolean> {
    const ids = await this.index.sessionIds(userId);
    const id = ids.find((candidate) => this.handle(candidate) === handle);
    if (!id) return false;
    await this.index.destroy(userId, [id]);
    return true;
  }

  /** Revokes every session of the user except the current one. */
  async revokeOthers(userId: string, currentSessionId: string): Promise<void> {
    const ids = await this.index.sessionIds(userId);
    await this.index.destroy(
      userId,
      ids.filter((id) => id !== currentSessionId),
    );
  }

  /** Revokes every session of the user, the current one too (a password reset). */
  async revokeAll(userId: string): Promise<void> {
    await this.index.destroy(userId, await this.index.sessionIds(userId));
  }

  private applyCookieLifetime(req: Request, now: number): void {
    const clock = req.session.clock;
    // Remember-me: a persistent cookie whose lifetime is exactly what the session has left.
    // Otherwise a browser-session cookie (no Max-Age/Expires).
    req.session.cookie.maxAge = clock?.rememberMe ? expiresAt(clock, this.timeouts) - now : undefined;
  }

  private save(req: Request): Promise<void> {
    return new Promise((resolve, reject) => req.session.save((err) => (err ? reject(err) : resolve())));
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
        '. Set TRUST_PROXY to your reverse proxy address (or hop count) so Express believes its X-Forwarded-Proto.',
    );
  }
}
