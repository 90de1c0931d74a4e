import { randomBytes } from 'node:crypto';
import { Injectable, Logger } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import session from 'express-session';
import { chain } from '../common/hot-path.js';
import type { AppConfig } from '../config/config.schema.js';
import { cookieMaxAge, sessionCookieOptions, signedSessionId } from './session-cookie.js';
import { SessionStore } from './session-store.js';
import { isExpired, shouldRenew } from './session-timeouts.js';
import type { SessionState } from './session.types.js';

/** Paths that never load a session: a probe must not depend on Redis through the session. */
const SESSIONLESS_PATHS = new Set(['/healthz', '/readyz']);

/**
 * How a request is authenticated, in order (README, How a request flows):
 *
 * 1. express-session reads the signed cookie and loads `sess:<id>` through SessionStore, which
 *    refuses a session signed in before the password last changed.
 * 2. authenticate(): the timeout rules (session-timeouts.ts) end a session that has timed out,
 *    renew one whose idle window is a tenth used up, and set `req.sessionState`: none, expired
 *    (a signed cookie whose session is gone) or signed in.
 *
 * The global SessionGuard then lets a route run, or answers 401 from `req.sessionState`, and a
 * handler asks who is signed in with `@CurrentSession()` (current-session.ts), the one way to.
 */
@Injectable()
export class SessionAuthenticator {
  private readonly logger = new Logger('Session');
  private readonly cookie: AppConfig['session']['cookie'];
  private readonly secrets: string[];

  constructor(
    config: ConfigService<AppConfig, true>,
    private readonly store: SessionStore,
  ) {
    const settings = config.get('session', { infer: true });
    this.cookie = settings.cookie;
    this.secrets = settings.secrets;
  }

  /** The middleware, installed by configureApp() for every request but the health probes. */
  handlers(): RequestHandler {
    const loadSession = session({
      name: this.cookie.name,
      // 128 random bits (OWASP asks for at least 64), not express-session's default 192: the id is
      // in the session's key, in its user's index and in every cookie, and 128 bits cannot be
      // guessed either (docs/sessions.md, The record).
      genid: () => randomBytes(16).toString('base64url'),
      secret: this.secrets,
      store: this.store,
      resave: false,
      // No record and no cookie until someone signs in: anonymous visitors cost Redis nothing.
      saveUninitialized: false,
      rolling: false,
      // 'keep', not 'destroy': when loading a session fails (Redis unavailable), express-session
      // leaves req.session unset, and 'destroy' would then delete the session from Redis as the
      // response ends: one failed read would log the user out. Logout destroys it explicitly.
      unset: 'keep',
      cookie: sessionCookieOptions(this.cookie),
    });
    const steps = chain(
      (req, res, next) => {
        loadSession(req, res, (error?: unknown) => {
          // express-session saves a changed session as the response ends, and reports a failed
          // save through this same next(), after the response went out. Passed on, it would reach
          // Express's last-resort handler, which prints the stack and destroys the connection
          // under the finished response. The answer stands; the failure is only logged.
          if (error !== undefined && res.headersSent) {
            this.logger.warn(`Session not saved: ${error instanceof Error ? error.message : String(error)}`);
            return;
          }
          next(error);
        });
      },
      (req, _res, next) => {
        this.authenticate(req).then(() => next(), next);
      },
    );
    return (req: Request, res: Response, next: NextFunction) => (SESSIONLESS_PATHS.has(req.path) ? next() : steps(req, res, next));
  }

  /** Step 2 above. `now` is a parameter so that the rules can be tested on a fake clock. */
  async authenticate(req: Request, now = Date.now()): Promise<SessionState> {
    req.sessionState = await this.outcome(req, now);
    return req.sessionState;
  }

  private async outcome(req: Request, now: number): Promise<SessionState> {
    if (!req.session) return { kind: 'none' }; // outside SESSION_COOKIE_PATH: express-session skipped it
    if (!this.store.isStored(req.session)) {
      // express-session made a new, empty session: there was no correctly signed cookie, or the
      // cookie's session is not in Redis (any more). Only then is the signature checked again,
      // to tell the two apart; a loaded session needs no second check (docs/sessions.md, One round trip per request).
      return signedSessionId(req.headers.cookie, this.cookie.name, this.secrets) === undefined ? { kind: 'none' } : { kind: 'expired' };
    }
    const { clock, passport: signedIn } = req.session;
    const userId = signedIn?.user;
    if (!userId) return { kind: 'none' };
    // A signed-in session without its clock cannot be timed out: fail closed, as if it had.
    if (!clock || isExpired(clock, this.store.timeouts, now)) {
      await this.store.destroySessions(userId, [req.sessionID]);
      // A fresh, empty (unsaved) session for the rest of the request.
      await new Promise<void>((resolve, reject) => req.session.regenerate((err) => (err ? reject(err) : resolve())));
      return { kind: 'expired' };
    }
    // Modifies the session, so express-session writes it back (SET ... XX) as the response ends.
    if (shouldRenew(clock, this.store.timeouts, now)) clock.lastSeenAt = now;
    req.session.cookie.maxAge = cookieMaxAge(clock, this.store.timeouts, now);
    return { kind: 'signed-in', userId, sessionId: req.sessionID };
  }
}
