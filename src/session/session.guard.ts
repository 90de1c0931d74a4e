import { type CanActivate, type ExecutionContext, Injectable, UnauthorizedException } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { Request, Response } from 'express';
import { IS_PUBLIC } from '../common/public.decorator.js';
import { SessionService } from './session.service.js';

export const SESSION_EXPIRED = 'Session expired';
export const NOT_AUTHENTICATED = 'Not authenticated';

/**
 * Global guard: a route needs a signed-in session unless marked @Public(). Tells a client whose
 * session ended ("Session expired", and the dead cookie is cleared) from one that never had one.
 */
@Injectable()
export class SessionGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly sessions: SessionService,
  ) {}

  canActivate(context: ExecutionContext): boolean {
    const isPublic = this.reflector.getAllAndOverride<boolean>(IS_PUBLIC, [context.getHandler(), context.getClass()]);
    if (isPublic) return true;
    const req = context.switchToHttp().getRequest<Request>();
    if (req.isAuthenticated()) return true;
    if (req.sessionExpired) {
      this.sessions.clearCookie(context.switchToHttp().getResponse<Response>());
      throw new UnauthorizedException(SESSION_EXPIRED);
    }
    throw new UnauthorizedException(NOT_AUTHENTICATED);
  }
}
