import { Injectable } from '@nestjs/common';
import { PassportSerializer } from '@nestjs/passport';
import type { User } from '../users/user.entity.js';

declare global {
  // eslint-disable-next-line @typescript-eslint/no-namespace
  namespace Express {
    /** What a signed-in request carries: the id only; handlers load what else they need. */
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

  // No request reaches passport's session strategy: session-auth.ts puts the same `{ id }` on
  // req.user itself. PassportSerializer requires the method all the same.
  deserializeUser(id: string, done: (err: Error | null, user?: Express.User) => void): void {
    done(null, { id });
  }
}
