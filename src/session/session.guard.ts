import { type CanActivate, type ExecutionContext, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { Request } from 'express';
import { IS_PUBLIC } from '../common/public.decorator.js';
import { NotAuthenticatedException, SessionExpiredException } from './session.exceptions.js';

/**
 * Global guard: a route needs a signed-in session unless marked @Public(). Tells a client whose
 * session ended (SessionExpiredException: the filters clear the dead cookie) from one that never
 * had one, from what the session step found (session-auth.ts).
 */
@Injectable()
export class SessionGuard implements CanActivate {
  constructor(private readonly reflector: Reflector) {}

  canActivate(context: ExecutionContext): boolean {
    const isPublic = this.reflector.getAllAndOverride<boolean>(IS_PUBLIC, [context.getHandler(), context.getClass()]);
    if (isPublic) return true;
    const state = context.switchToHttp().getRequest<Request>().sessionState;
    if (state?.kind === 'signed-in') return true;
    if (state?.kind === 'expired') throw new SessionExpiredException();
    throw new NotAuthenticatedException();
  }
}
