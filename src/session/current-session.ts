import { createParamDecorator, type ExecutionContext } from '@nestjs/common';
import type { Request } from 'express';
import { NotAuthenticatedException } from './session.exceptions.js';

/** Who a signed-in request is: what handlers and services need, instead of Express's req. */
export interface SignedIn {
  userId: string;
  sessionId: string;
}

/** The signed-in user and session of a request that SessionGuard let in. */
export function signedIn(req: Request): SignedIn {
  const state = req.sessionState;
  // Unreachable behind SessionGuard; a route marked @Public() that asks anyway is refused.
  if (state?.kind !== 'signed-in') throw new NotAuthenticatedException();
  return { userId: state.userId, sessionId: state.sessionId };
}

/** `@CurrentSession() me: SignedIn` in a handler of a protected route. */
export const CurrentSession = createParamDecorator((_data: unknown, context: ExecutionContext): SignedIn =>
  signedIn(context.switchToHttp().getRequest<Request>()),
);
