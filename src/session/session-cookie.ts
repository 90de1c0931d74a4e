import { parseCookie } from 'cookie';
import signature from 'cookie-signature';
import type { CookieOptions } from 'express';
import type { CookieOptions as SessionCookieOptions } from 'express-session';
import type { SessionCookieConfig } from '../config/session-cookie-name.js';
import { expiresAt, type SessionClock, type SessionTimeouts } from './session-timeouts.js';

/**
 * Every rule about the session cookie but its name, in one place: its attributes, its lifetime,
 * how it is cleared and how its signed value reads. The session middleware and the tests' helpers
 * use these; the name and prefix rules are the configuration check's (config/session-cookie-name.ts).
 */

/** The attributes express-session writes. HttpOnly always: no script ever needs the session id. */
export function sessionCookieOptions(cookie: SessionCookieConfig): SessionCookieOptions {
  return {
    httpOnly: true,
    secure: cookie.secure,
    sameSite: cookie.sameSite,
    path: cookie.path,
    domain: cookie.domain,
    maxAge: undefined, // a browser-session cookie unless remember-me (cookieMaxAge)
  };
}

/**
 * Remember-me: a persistent cookie whose lifetime is exactly what the session has left.
 * Otherwise undefined: a browser-session cookie (no Max-Age/Expires), gone when the browser closes.
 */
export function cookieMaxAge(clock: SessionClock, timeouts: SessionTimeouts, now: number): number | undefined {
  return clock.rememberMe ? expiresAt(clock, timeouts) - now : undefined;
}

/**
 * Options that clear the session cookie. A browser only replaces a cookie whose name, path and
 * domain match, and only accepts a `__Host-`/`__Secure-` cookie that is Secure (and, for
 * `__Host-`, Path=/ with no Domain): the clearing cookie must carry the very same attributes.
 */
export function clearingCookieOptions(cookie: SessionCookieConfig): CookieOptions {
  return { path: cookie.path, domain: cookie.domain, secure: cookie.secure, httpOnly: true, sameSite: cookie.sameSite };
}

/**
 * The session id in a Cookie header when the cookie's signature verifies with one of the secrets
 * (the same check express-session makes), else undefined.
 */
export function signedSessionId(cookieHeader: string | undefined, name: string, secrets: string[]): string | undefined {
  if (!cookieHeader) return undefined;
  const raw = parseCookie(cookieHeader)[name];
  if (!raw?.startsWith('s:')) return undefined;
  for (const secret of secrets) {
    const id = signature.unsign(raw.slice(2), secret);
    if (id !== false) return id;
  }
  return undefined;
}

/** The cookie value express-session sets for a session id, before URL-encoding: `s:<id>.<signature>`. */
export function signedCookieValue(sessionId: string, secret: string): string {
  return `s:${signature.sign(sessionId, secret)}`;
}

/** The session id inside a cookie value as the browser holds it (URL-encoded `s:<id>.<signature>`). */
export function sessionIdOfCookieValue(cookieValue: string): string {
  const decoded = decodeURIComponent(cookieValue);
  return decoded.slice(2, decoded.lastIndexOf('.'));
}
