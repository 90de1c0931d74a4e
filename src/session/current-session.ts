import { createParamDecorator, type ExecutionContext } from '@nestjs/common';
import type { Request } from 'express';
import { NotAuthenticatedException } from './session.exceptions.js';
import type { SessionClock } from './session-timeouts.js';
import type { SessionState, SignInMethod } from './session.types.js';

/** Who a signed-in request is: what handlers and services need, instead of Express's req. */
export interface SignedIn {
  userId: string;
  sessionId: string;
  /** Its sign-in and last-seen times (session-timeouts.ts). */
  clock: SessionClock;
  /** What it signed in and re-authenticated with (session.types.ts). */
  methods: SignInMethod[];
  /** When it last proved its user, epoch ms (sudo.ts). */
  provenAt: number;
}

/** The signed-in user and session of a request that SessionGuard let in. */
export function signedIn(req: Request): SignedIn {
  const state = req.sessionState;
  // Unreachable behind SessionGuard; a route marked @Public() that asks anyway is refused.
  if (state?.kind !== 'signed-in') throw new NotAuthenticatedException();
  // A signed-in session always has its clock: the session step ends one that has none.
  const clock = req.session.clock!;
  // A session signed in before methods were recorded proved its user at sign-in, by password.
  const { methods = ['password'], provenAt = clock.createdAt } = req.session;
  return { userId: state.userId, sessionId: state.sessionId, clock, methods, provenAt };
}

/*
 * Who is signed in, for a handler: the typed state the session step left on the request
 * (session-auth.ts), read only through these two. A protected route takes `@CurrentSession()`;
 * a @Public() one that behaves differently for a signed-in visitor takes `@SessionStatus()`.
 */

/** `@CurrentSession() me: SignedIn` in a handler of a protected route. */
export const CurrentSession = createParamDecorator((_data: unknown, context: ExecutionContext): SignedIn =>
  signedIn(context.switchToHttp().getRequest<Request>()),
);

/** `@SessionStatus() status: SessionState` in a @Public() handler: none, expired or signed in. */
export const SessionStatus = createParamDecorator(
  (_data: unknown, context: ExecutionContext): SessionState =>
    context.switchToHttp().getRequest<Request>().sessionState ?? { kind: 'none' },
);
