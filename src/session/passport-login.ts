import { Injectable } from '@nestjs/common';
import { PassportSerializer } from '@nestjs/passport';
import type { Request } from 'express';
import type { User } from '../users/user.entity.js';

/*
 * All that Gatehouse takes from passport: `req.logIn`, which gives the session a new id (the old
 * one, which an attacker may have planted, is destroyed with its record), puts the user's id in it
 * as `passport.user`, and saves it. Credentials are checked by AuthService, and requests are
 * authenticated by the session step (session-auth.ts), so no passport strategy runs and the
 * serializer's deserializer is never called. `passport.initialize()`, which adds `req.logIn`, is
 * an ordinary middleware on every request (configureApp), as passport's documentation has it. A
 * fork that wants passport strategies (OAuth, say) plugs them in here.
 */

declare global {
  // eslint-disable-next-line @typescript-eslint/no-namespace
  namespace Express {
    /** What passport's logIn puts on the signing-in request: the id only. */
    interface User {
      id: string;
    }
  }
}

/** The session keeps the user's id and nothing else: no stale copies of profile data. */
@Injectable()
export class SessionSerializer extends PassportSerializer {
  serializeUser(user: User, done: (err: Error | null, id?: string) => void): void {
    done(null, user.id);
  }

  // Never called (see above); PassportSerializer requires it.
  deserializeUser(id: string, done: (err: Error | null, user?: Express.User) => void): void {
    done(null, { id });
  }
}

/**
 * A new session id with the user's id in it, saved. keepSessionInfo keeps the session's other
 * data (clock, device, credential stamp) across the new id.
 */
export function logIn(req: Request, user: User, keepSessionInfo: boolean): Promise<void> {
  return new Promise((resolve, reject) => req.logIn(user, { session: true, keepSessionInfo }, (err) => (err ? reject(err) : resolve())));
}
