import { type CanActivate, type ExecutionContext, Injectable } from '@nestjs/common';
import type { Request, Response } from 'express';
import { ProfileService } from '../profile/profile.service.js';
import { signedIn } from '../session/current-session.js';

/**
 * Puts the signed-in user on res.locals, where the layout, the page and a form shown again all
 * find it. A guard rather than an interceptor so that it runs before CsrfGuard: a refused form's
 * error page still shows whose account it is. Who may see the page at all is SessionGuard's call.
 */
@Injectable()
export class PageUserGuard implements CanActivate {
  constructor(private readonly profile: ProfileService) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const user = await this.profile.get(signedIn(context.switchToHttp().getRequest<Request>()).userId);
    context.switchToHttp().getResponse<Response>().locals.user = {
      email: user.email,
      displayName: user.displayName,
      emailVerifiedAt: user.emailVerifiedAt?.toISOString() ?? null,
      emailVerifiedOn: user.emailVerifiedAt?.toISOString().slice(0, 10) ?? null,
    };
    return true;
  }
}
