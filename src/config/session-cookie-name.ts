/**
 * The session cookie's settings and the rules its name must follow: checked with the rest of the
 * configuration at start, before anything uses the cookie (session/session-cookie.ts has the rest).
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
