import { isIP } from 'node:net';

/**
 * The few cookie rules of a browser (RFC 6265bis and the cookie-prefix rules) the doctor needs to
 * tell whether the session cookie a deployment sets would be kept and sent back. tough-cookie
 * does this in the tests, but it is a dev dependency and the doctor runs in the production image.
 * No public-suffix list: a Domain that is a public suffix is not detected.
 */

export interface SetCookie {
  name: string;
  value: string;
  /** Lower-cased, without a leading dot; undefined for a host-only cookie. */
  domain?: string;
  /** undefined when the attribute is absent or does not start with / (the default path applies). */
  path?: string;
  secure: boolean;
  httpOnly: boolean;
  /** Lower-cased as given, e.g. `lax`; undefined when absent. */
  sameSite?: string;
}

export function parseSetCookie(line: string): SetCookie | undefined {
  const [pair, ...attributes] = line.split(';');
  const eq = pair.indexOf('=');
  if (eq < 1) return undefined;
  const cookie: SetCookie = {
    name: pair.slice(0, eq).trim(),
    value: pair.slice(eq + 1).trim(),
    secure: false,
    httpOnly: false,
  };
  for (const attribute of attributes) {
    const [rawKey, ...rest] = attribute.split('=');
    const key = rawKey.trim().toLowerCase();
    const value = rest.join('=').trim();
    if (key === 'secure') cookie.secure = true;
    else if (key === 'httponly') cookie.httpOnly = true;
    else if (key === 'samesite') cookie.sameSite = value.toLowerCase();
    else if (key === 'domain' && value) cookie.domain = value.replace(/^\./, '').toLowerCase();
    else if (key === 'path') cookie.path = value.startsWith('/') ? value : undefined;
  }
  return cookie;
}

/** The path a cookie without a Path attribute gets: the request path's "directory". */
export function defaultPath(requestPath: string): string {
  const slash = requestPath.lastIndexOf('/');
  return slash <= 0 ? '/' : requestPath.slice(0, slash);
}

export function cookiePath(cookie: SetCookie, setBy: URL): string {
  return cookie.path ?? defaultPath(setBy.pathname);
}

/** Does `host` belong to `domain` (equal, or a subdomain of it; IP addresses only when equal)? */
export function domainMatches(host: string, domain: string): boolean {
  const h = host.toLowerCase();
  if (h === domain) return true;
  return !isIP(h.replace(/^\[|\]$/g, '')) && h.endsWith(`.${domain}`);
}

/** Is `requestPath` inside `path` (equal, or below it at a / boundary)? */
export function pathMatches(requestPath: string, path: string): boolean {
  if (requestPath === path) return true;
  if (!requestPath.startsWith(path)) return false;
  return path.endsWith('/') || requestPath[path.length] === '/';
}

/** Why a browser would refuse to store this cookie from `setBy`, or undefined when it keeps it. */
export function rejection(cookie: SetCookie, setBy: URL): string | undefined {
  const https = setBy.protocol === 'https:';
  if (cookie.secure && !https) return 'a Secure cookie set over plain http';
  if (cookie.name.startsWith('__Secure-') && !cookie.secure) return 'a __Secure- cookie without Secure';
  if (cookie.name.startsWith('__Host-')) {
    if (!cookie.secure) return 'a __Host- cookie without Secure';
    if (cookie.domain !== undefined) return 'a __Host- cookie with a Domain';
    if (cookie.path !== '/') return 'a __Host- cookie whose Path is not /';
  }
  if (cookie.sameSite === 'none' && !cookie.secure) return 'SameSite=None without Secure';
  if (cookie.domain !== undefined && !domainMatches(setBy.hostname, cookie.domain)) {
    return `its Domain=${cookie.domain} does not match ${setBy.hostname}`;
  }
  return undefined;
}

/** Would a browser that kept the cookie (set by `setBy`) send it with a request to `url`? */
export function sentTo(cookie: SetCookie, setBy: URL, url: URL): boolean {
  if (cookie.secure && url.protocol !== 'https:') return false;
  const hostOk = cookie.domain === undefined ? url.hostname === setBy.hostname : domainMatches(url.hostname, cookie.domain);
  return hostOk && pathMatches(url.pathname, cookiePath(cookie, setBy));
}
