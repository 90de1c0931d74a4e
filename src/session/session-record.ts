import type { CookieOptions, SessionData } from 'express-session';

/**
 * How a session is stored in `sess:<id>` (README, Sessions): JSON with one-letter keys, and no
 * cookie. connect-redis's default serializer stores the whole `req.session`, the cookie's
 * attributes included, though they are configuration, and its lifetime, though it follows from
 * the clock (session-auth.ts sets it on every request). The store's Lua scripts read the user's
 * id as `u` (session-store.ts).
 *
 *   u  the user's id (passport's `passport.user`)      i  the client address at sign-in
 *   c  signed in at, epoch ms                           a  the user agent (deviceName())
 *   l  last seen, ms after `c`                          t  the signed-in forms' CSRF token
 *   r  1 for remember-me                                k  the credential stamp
 *
 * A field added to SessionData (session.types.ts) must be added here too, or it is not kept:
 * session-record.spec.ts round-trips every field.
 */
interface SessionRecord {
  u?: string;
  c?: number;
  l?: number;
  r?: 1;
  k?: number;
  i?: string;
  a?: string;
  t?: string;
}

/** The longest user agent a session keeps, after deviceName() took the padding out. */
export const USER_AGENT_MAX = 100;

/**
 * The part of a User-Agent header that tells devices apart, for the sessions list: without the
 * tokens that every browser sends for compatibility (`Mozilla/5.0`, WebKit's `AppleWebKit/…
 * (KHTML, like Gecko)`, Firefox's fixed `Gecko/20100101`, Chromium's fixed `Safari/537.36`), at
 * most USER_AGENT_MAX characters. Chrome 131 on Windows: `(Windows NT 10.0; Win64; x64) Chrome/131.0.0.0`.
 */
export function deviceName(userAgent: string): string {
  const name = userAgent
    .replace(/^Mozilla\/5\.0 /, '')
    .replace(/AppleWebKit\/[\d.+]+ \(KHTML, like Gecko\) ?/, '')
    .replace(/Gecko\/20100101 /, '')
    .replace(/ Safari\/537\.36\b/, '')
    .trim();
  return (name || userAgent).slice(0, USER_AGENT_MAX);
}

/** connect-redis's `serializer` option; the cookie comes back from the configured attributes. */
export function sessionRecordSerializer(cookie: CookieOptions) {
  return {
    stringify(data: SessionData): string {
      const record: SessionRecord = {
        u: data.passport?.user,
        c: data.clock?.createdAt,
        l: data.clock ? data.clock.lastSeenAt - data.clock.createdAt : undefined,
        r: data.clock?.rememberMe ? 1 : undefined,
        k: data.credential,
        i: data.ip,
        a: data.userAgent,
        t: data.csrfToken,
      };
      return JSON.stringify(record); // undefined values leave no key
    },

    parse(text: string): SessionData {
      const record = JSON.parse(text) as SessionRecord;
      const data: SessionData = { cookie: { ...cookie } as SessionData['cookie'] };
      if (record.u !== undefined) data.passport = { user: record.u };
      if (record.c !== undefined) data.clock = { createdAt: record.c, lastSeenAt: record.c + (record.l ?? 0), rememberMe: record.r === 1 };
      if (record.k !== undefined) data.credential = record.k;
      if (record.i !== undefined) data.ip = record.i;
      if (record.a !== undefined) data.userAgent = record.a;
      if (record.t !== undefined) data.csrfToken = record.t;
      return data;
    },
  };
}
