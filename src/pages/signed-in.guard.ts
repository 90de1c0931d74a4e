import { type CanActivate, type ExecutionContext, Injectable } from '@nestjs/common';
import type { Request, Response } from 'express';
import { ProfileService } from '../profile/profile.service.js';
import { NotAuthenticatedException, SessionExpiredException } from '../session/session.exceptions.js';

/**
 * The pages' counterpart of the global SessionGuard (the page controllers are @Public to it): the
 * same two refusals, which PageExceptionFilter turns into a redirect to /login instead of JSON.
 * It also puts the signed-in user on res.locals, where the layout, the page and a form shown
 * again all find it.
 */
@Injectable()
export class SignedInGuard implements CanActivate {
  constructor(private readonly profile: ProfileService) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const req = context.switchToHttp().getRequest<Request>();
    const state = req.sessionState;
    if (state?.kind === 'expired') throw new SessionExpiredException();
    if (state?.kind !== 'signed-in') throw new NotAuthenticatedException();
    const user = await this.profile.get(req.user!.id);
    context.switchToHttp().getResponse<Response>().locals.user = {
      email: user.email,
      displayName: user.displayName,
      emailVerifiedAt: user.emailVerifiedAt?.toISOString() ?? null,
      emailVerifiedOn: user.emailVerifiedAt?.toISOString().slice(0, 10) ?? null,
    };
    return true;
  }
}
