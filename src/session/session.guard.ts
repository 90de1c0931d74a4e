import { type CanActivate, type ExecutionContext, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { Request, Response } from 'express';
import { IS_PUBLIC } from '../common/public.decorator.js';
import { NotAuthenticatedException, SessionExpiredException } from './session.exceptions.js';
import { SessionLifecycle } from './session-lifecycle.js';

/**
 * Global guard: a route needs a signed-in session unless marked @Public(). Tells a client whose
 * session ended (SessionExpiredException) from one that never had one, from what the session step
 * found (session-auth.ts). The one place a dead cookie is cleared: the browser drops it, so its
 * next request is plainly signed out, whichever filter (JSON or page) then answers.
 */
@Injectable()
export class SessionGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly sessions: SessionLifecycle,
  ) {}

  canActivate(context: ExecutionContext): boolean {
    const isPublic = this.reflector.getAllAndOverride<boolean>(IS_PUBLIC, [context.getHandler(), context.getClass()]);
    if (isPublic) return true;
    const http = context.switchToHttp();
    const state = http.getRequest<Request>().sessionState;
    if (state?.kind === 'signed-in') return true;
    if (state?.kind === 'expired') {
      this.sessions.clearCookie(http.getResponse<Response>());
      throw new SessionExpiredException();
    }
    throw new NotAuthenticatedException();
  }
}
