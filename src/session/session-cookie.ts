import { parse } from 'cookie';
import signature from 'cookie-signature';
import type { CookieOptions, Request } from 'express';
import type { SessionCookieConfig } from '../config/config.schema.js';

/**
 * The session id in the request's cookie when its signature verifies with one of the secrets
 * (the same check express-session makes), else undefined.
 */
export function signedSessionId(req: Request, name: string, secrets: string[]): string | undefined {
  const header = req.headers.cookie;
  if (!header) return undefined;
  const raw = parse(header)[name];
  if (!raw?.startsWith('s:')) return undefined;
  for (const secret of secrets) {
    const id = signature.unsign(raw.slice(2), secret);
    if (id !== false) return id;
  }
  return undefined;
}

/**
 * Options that clear the session cookie. A browser only replaces a cookie whose name, path and
 * domain match, and only accepts a `__Host-`/`__Secure-` cookie that is Secure (and, for
 * `__Host-`, Path=/ with no Domain): the clearing cookie must carry the very same attributes.
 */
export function clearingCookieOptions(cookie: SessionCookieConfig): CookieOptions {
  return {
    path: cookie.path,
    domain: cookie.domain,
    secure: cookie.secure,
    httpOnly: true,
    sameSite: cookie.sameSite,
  };
}
