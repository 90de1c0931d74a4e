import { parseCookie } from 'cookie';
import signature from 'cookie-signature';
import type { CookieOptions } from 'express';
import type { CookieOptions as SessionCookieOptions } from 'express-session';
import { expiresAt, type SessionClock, type SessionTimeouts } from './session-timeouts.js';

/**
 * Every rule about the session cookie, in one place: its name, its attributes, its lifetime, how
 * it is cleared and how its signed value reads. The config check, the session middleware and the
 * tests' helpers all use these.
 */

export type SameSite = 'lax' | 'strict' | 'none';

export interface SessionCookieConfig {
  name: string;
  secure: boolean;
  domain: string | undefined;
  path: string;
  sameSite: SameSite;
}

/**
 * Cookie name prefixes make the browser enforce our own rules: `__Host-` pins the cookie to this
 * exact host over HTTPS with Path=/ (no subdomain can overwrite it); `__Secure-` only requires
 * HTTPS. The default picks the strictest prefix the other settings allow.
 */
export function defaultCookieName(secure: boolean, domain: string | undefined): string {
  if (!secure) return 'sid';
  return domain ? '__Secure-sid' : '__Host-sid';
}

/** What a browser would refuse about this cookie: one line per broken prefix rule, naming the variable. */
export function cookieNameProblems(cookie: SessionCookieConfig): string[] {
  const problems: string[] = [];
  const problem = (message: string) => problems.push(`SESSION_COOKIE_NAME: ${message}`);
  if (cookie.name.startsWith('__Host-')) {
    if (!cookie.secure) problem('a __Host- cookie requires SESSION_COOKIE_SECURE=true');
    if (cookie.domain) problem('a __Host- cookie must not have SESSION_COOKIE_DOMAIN');
    if (cookie.path !== '/') problem('a __Host- cookie requires SESSION_COOKIE_PATH=/');
  } else if (cookie.name.startsWith('__Secure-') && !cookie.secure) {
    problem('a __Secure- cookie requires SESSION_COOKIE_SECURE=true');
  }
  return problems;
}

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
