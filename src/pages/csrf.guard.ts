import { randomBytes, timingSafeEqual } from 'node:crypto';
import { type CanActivate, type ExecutionContext, ForbiddenException, Injectable } from '@nestjs/common';
import type { Request, Response } from 'express';
import '../session/session.types.js';

/** The hidden form field that carries the token (partials/csrf.hbs). */
export const CSRF_FIELD = '_csrf';
export const CSRF_REFUSED = 'The form was out of date or not sent from this site; nothing was changed';

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/** Constant-time comparison: the time taken says nothing about how much of a guess was right. */
export function tokensMatch(sent: string, expected: string): boolean {
  const a = Buffer.from(sent);
  const b = Buffer.from(expected);
  // timingSafeEqual needs equal lengths; a token's length is no secret.
  return a.length === b.length && timingSafeEqual(a, b);
}

/**
 * The synchronizer token of the HTML forms: a random token kept in the session, put into every
 * form (res.locals.csrfToken) and required back on every page POST. It is the second line of CSRF
 * defence; the first is SameOriginGuard (Origin / Sec-Fetch-Site), which already refuses a form
 * posted from another site, and SameSite=Lax keeps the cookie off such requests.
 *
 * On a signed-out visitor's first form, setting the token starts an anonymous session (so the
 * login form itself is protected against login CSRF); signing in replaces that session.
 */
@Injectable()
export class CsrfGuard implements CanActivate {
  canActivate(context: ExecutionContext): boolean {
    const req = context.switchToHttp().getRequest<Request>();
    const res = context.switchToHttp().getResponse<Response>();
    const expected = (req.session.csrfToken ??= randomBytes(32).toString('base64url'));
    res.locals.csrfToken = expected; // also for the error page or the form shown again
    if (SAFE_METHODS.has(req.method)) return true;

    const body = req.body as Record<string, unknown> | undefined;
    const sent = body?.[CSRF_FIELD];
    if (typeof sent !== 'string' || !tokensMatch(sent, expected)) throw new ForbiddenException(CSRF_REFUSED);
    // Checked and done with: the handler's DTO refuses fields it does not know.
    delete body![CSRF_FIELD];
    return true;
  }
}
