import { type CanActivate, type ExecutionContext, ForbiddenException, Injectable } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import type { Request } from 'express';
import type { AppConfig } from '../config/config.schema.js';
import { isSafeMethod } from './safe-methods.js';

/**
 * Refuses state-changing requests that come from another site (CSRF), for the API and the HTML
 * forms alike. Browsers send `Origin` on cross-origin POSTs and on every fetch; when it is absent,
 * `Sec-Fetch-Site: cross-site` still gives the request away. Non-browser clients send neither and
 * pass: they cannot ride a user's cookies. SameSite=Lax on the cookie is the second line.
 */
@Injectable()
export class SameOriginGuard implements CanActivate {
  private readonly publicOrigin: string | undefined;

  constructor(config: ConfigService<AppConfig, true>) {
    this.publicOrigin = config.get('publicOrigin', { infer: true });
  }

  canActivate(context: ExecutionContext): boolean {
    const req = context.switchToHttp().getRequest<Request>();
    if (isSafeMethod(req.method)) return true;
    const origin = req.get('origin');
    // Without PUBLIC_ORIGIN (development only: it is required in production) the origin the
    // request was addressed to is the expected one.
    const expected = this.publicOrigin ?? `${req.protocol}://${req.get('host')}`;
    if (origin !== undefined ? origin === expected : req.get('sec-fetch-site') !== 'cross-site') return true;
    throw new ForbiddenException('Cross-site request refused');
  }
}
