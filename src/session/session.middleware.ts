import { Inject, Injectable, Logger } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { RedisStore } from 'connect-redis';
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import session from 'express-session';
import passport from 'passport';
import type { AppConfig } from '../config/config.schema.js';
import { REDIS_CLIENT, type RedisClient } from '../redis/redis.module.js';
import { SESSION_KEY_PREFIX } from './session-index.js';
import { SessionService } from './session.service.js';

/** The session pipeline, in order; installed by configureApp() for every request. */
@Injectable()
export class SessionMiddleware {
  private readonly logger = new Logger('Session');

  constructor(
    private readonly config: ConfigService<AppConfig, true>,
    @Inject(REDIS_CLIENT) private readonly redis: RedisClient,
    private readonly sessions: SessionService,
  ) {}

  handlers(): RequestHandler[] {
    const { secrets, cookie } = this.config.get('session', { infer: true });
    const restoreUser = passport.session();
    const store = new RedisStore({
      client: this.redis,
      prefix: SESSION_KEY_PREFIX,
      // The record lives exactly as long as the session may (session-timeouts.ts).
      ttl: (data) => this.sessions.ttlSeconds(data),
      // express-session would otherwise send an EXPIRE on every request; SessionService.refresh
      // renews only when a tenth of the idle window has passed.
      disableTouch: true,
    });
    const loadSession = session({
      name: cookie.name,
      secret: secrets,
      store,
      resave: false,
      // No record and no cookie until there is something to keep (sign-in, a CSRF token).
      saveUninitialized: false,
      rolling: false,
      // 'keep', not 'destroy': when loading a session fails (Redis unavailable), express-session
      // leaves req.session unset, and 'destroy' would then delete the session from Redis as the
      // response ends: one failed read would log the user out. Logout destroys it explicitly.
      unset: 'keep',
      cookie: {
        httpOnly: true,
        secure: cookie.secure,
        sameSite: cookie.sameSite,
        path: cookie.path,
        domain: cookie.domain,
        maxAge: undefined, // browser-session cookie unless remember-me (SessionService)
      },
    });
    return [
      (req: Request, res: Response, next: NextFunction) => {
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
      (req: Request, _res: Response, next: NextFunction) => {
        // express-session skips requests outside the cookie's Path (SESSION_COOKIE_PATH) and
        // leaves them without req.session: they are signed out, not a 500 (GET /healthz included).
        if (!req.session) return next();
        this.sessions.refresh(req).then(() => next(), next);
      },
      passport.initialize(),
      (req: Request, res: Response, next: NextFunction) => (req.session ? restoreUser(req, res, next) : next()),
    ];
  }
}
