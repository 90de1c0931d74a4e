import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { type CanActivate, type ExecutionContext, ForbiddenException, Injectable } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { parseCookie } from 'cookie';
import type { CookieOptions, Request, Response } from 'express';
import { isSafeMethod } from '../common/safe-methods.js';
import type { AppConfig } from '../config/config.schema.js';
import '../session/session.types.js';

/** The hidden form field that carries the token (partials/csrf.hbs). */
export const CSRF_FIELD = '_csrf';
export const CSRF_REFUSED = 'The form was out of date or not sent from this site; nothing was changed';

/** Constant-time comparison: the time taken says nothing about how much of a guess was right. */
export function tokensMatch(sent: string, expected: string): boolean {
  const a = Buffer.from(sent);
  const b = Buffer.from(expected);
  // timingSafeEqual needs equal lengths; a token's length is no secret.
  return a.length === b.length && timingSafeEqual(a, b);
}

/**
 * The form token for a signed-out visitor's nonce: an HMAC under a key derived from a session
 * secret for this purpose alone. Under the secret itself, it would be a valid session-cookie
 * signature (express-session signs with an HMAC-SHA256 under the same secret), handed to anyone.
 */
export function signedOutToken(nonce: string, secret: string): string {
  const key = createHmac('sha256', secret).update('gatehouse signed-out form token key').digest();
  return createHmac('sha256', key).update(nonce).digest('base64url');
}

/**
 * The CSRF token of the HTML forms, put into every form (res.locals.csrfToken) and required back
 * on every page POST. It is the second line of CSRF defence; the first is SameOriginGuard (Origin
 * / Sec-Fetch-Site), which already refuses a form posted from another site, and SameSite=Lax keeps
 * the cookies off such requests.
 *
 * - Signed in: a random token kept in the session (synchronizer token).
 * - Signed out (login, register): a signed double-submit token, so that showing a page to a
 *   visitor writes nothing to Redis. A random nonce goes into an HttpOnly cookie of its own; the
 *   form carries an HMAC of it under the session secret. Another site can neither read the
 *   cookie nor compute the HMAC, so it cannot forge the pair (login CSRF included).
 */
@Injectable()
export class CsrfGuard implements CanActivate {
  private readonly secrets: string[];
  private readonly cookieName: string;
  private readonly cookieOptions: CookieOptions;

  constructor(config: ConfigService<AppConfig, true>) {
    const session = config.get('session', { infer: true });
    this.secrets = session.secrets;
    const secure = session.cookie.secure;
    // __Host-: only this host over HTTPS may set it, so a sibling subdomain cannot plant a nonce.
    this.cookieName = secure ? '__Host-csrf' : 'csrf';
    this.cookieOptions = { httpOnly: true, secure, sameSite: 'lax', path: '/' };
  }

  canActivate(context: ExecutionContext): boolean {
    const req = context.switchToHttp().getRequest<Request>();
    const res = context.switchToHttp().getResponse<Response>();
    const expected = req.sessionState?.kind === 'signed-in' ? this.sessionTokens(req) : this.signedOutTokens(req, res);
    res.locals.csrfToken = expected[0]; // also for the error page or the form shown again
    if (isSafeMethod(req.method)) return true;

    const body = req.body as Record<string, unknown> | undefined;
    const sent = body?.[CSRF_FIELD];
    if (typeof sent !== 'string' || !expected.some((token) => tokensMatch(sent, token))) throw new ForbiddenException(CSRF_REFUSED);
    // Checked and done with: the handler's DTO refuses fields it does not know.
    delete body![CSRF_FIELD];
    return true;
  }

  private sessionTokens(req: Request): string[] {
    return [(req.session.csrfToken ??= randomBytes(32).toString('base64url'))];
  }

  /** The tokens this visitor's nonce allows (one per secret, for rotation); the first is issued. */
  private signedOutTokens(req: Request, res: Response): string[] {
    let nonce = req.headers.cookie ? parseCookie(req.headers.cookie)[this.cookieName] : undefined;
    if (!nonce || !/^[A-Za-z0-9_-]{43}$/.test(nonce)) {
      nonce = randomBytes(32).toString('base64url');
      res.cookie(this.cookieName, nonce, this.cookieOptions);
    }
    return this.secrets.map((secret) => signedOutToken(nonce, secret));
  }
}
