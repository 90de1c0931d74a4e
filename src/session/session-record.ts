import type { CookieOptions, SessionData } from 'express-session';
import type { SignInMethod } from './session.types.js';

/**
 * How a session is stored in `sess:<id>` (docs/sessions.md, The record): JSON with one-letter keys, and no
 * cookie. connect-redis's default serializer stores the whole `req.session`, the cookie's
 * attributes included, though they are configuration, and its lifetime, though it follows from
 * the clock (session-auth.ts sets it on every request). The store's Lua scripts read the user's
 * id as `u` (session-store.ts).
 *
 *   u  the user's id (passport's `passport.user`)      i  the client address at sign-in
 *   c  signed in at, epoch ms                           a  the user agent (compactUserAgent())
 *   l  last seen, ms after `c`                          t  the signed-in forms' CSRF token
 *   r  1 for remember-me                                k  the credential stamp
 *   m  the sign-in methods (session.types.ts)          p  last proven at, epoch ms (sudo.ts)
 *   h  the handle of its sign-in (event-origin.ts)
 *   w  a pending sign-in: {u, r, s, k} (user, remember-me, started at, credential stamp)
 *   e  a TOTP enrolment: {s, x} (the encrypted secret, expires at)
 *
 * A field added to SessionData (session.types.ts) needs its entry in FIELDS below, or the code
 * does not compile; session-record.spec.ts round-trips every field.
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
  m?: SignInMethod[];
  p?: number;
  h?: string;
  w?: { u: string; r?: 1; s: number; k: number };
  e?: { s: string; x: number };
}

/** The longest user agent a session keeps, after compactUserAgent() took the padding out. */
export const USER_AGENT_MAX = 100;

/**
 * The part of a User-Agent header that tells devices apart, as a session keeps it (`userAgent` in
 * GET /api/sessions; the sessions page shows the name common/device-name.ts makes of it): without the
 * tokens that every browser sends for compatibility (`Mozilla/5.0`, WebKit's `AppleWebKit/…
 * (KHTML, like Gecko)`, Firefox's fixed `Gecko/20100101`, Chromium's fixed `Safari/537.36`), at
 * most USER_AGENT_MAX characters. Chrome 131 on Windows: `(Windows NT 10.0; Win64; x64) Chrome/131.0.0.0`.
 */
export function compactUserAgent(userAgent: string): string {
  const name = userAgent
    .replace(/^Mozilla\/5\.0 /, '')
    .replace(/AppleWebKit\/[\d.+]+ \(KHTML, like Gecko\) ?/, '')
    .replace(/Gecko\/20100101 /, '')
    .replace(/ Safari\/537\.36\b/, '')
    .trim();
  return (name || userAgent).slice(0, USER_AGENT_MAX);
}

type StoredFields = Required<Omit<SessionData, 'cookie'>>;

/**
 * Each SessionData field's keys in the record. The type lists every field (the cookie aside), so
 * a field added to session.types.ts without an entry here does not compile.
 */
const FIELDS: {
  [F in keyof StoredFields]: { store(value: StoredFields[F]): SessionRecord; load(record: SessionRecord): StoredFields[F] | undefined };
} = {
  passport: { store: (v) => ({ u: v.user }), load: (r) => (r.u === undefined ? undefined : { user: r.u }) },
  clock: {
    store: (v) => ({ c: v.createdAt, l: v.lastSeenAt - v.createdAt, r: v.rememberMe ? 1 : undefined }),
    load: (r) => (r.c === undefined ? undefined : { createdAt: r.c, lastSeenAt: r.c + (r.l ?? 0), rememberMe: r.r === 1 }),
  },
  credential: { store: (v) => ({ k: v }), load: (r) => r.k },
  ip: { store: (v) => ({ i: v }), load: (r) => r.i },
  userAgent: { store: (v) => ({ a: v }), load: (r) => r.a },
  csrfToken: { store: (v) => ({ t: v }), load: (r) => r.t },
  methods: { store: (v) => ({ m: v }), load: (r) => r.m },
  provenAt: { store: (v) => ({ p: v }), load: (r) => r.p },
  handle: { store: (v) => ({ h: v }), load: (r) => r.h },
  pending: {
    store: (v) => ({ w: { u: v.userId, r: v.rememberMe ? 1 : undefined, s: v.startedAt, k: v.credential } }),
    load: (r) => (r.w === undefined ? undefined : { userId: r.w.u, rememberMe: r.w.r === 1, startedAt: r.w.s, credential: r.w.k }),
  },
  totpEnrolment: {
    store: (v) => ({ e: { s: v.secret, x: v.expiresAt } }),
    load: (r) => (r.e === undefined ? undefined : { secret: r.e.s, expiresAt: r.e.x }),
  },
};
const FIELD_NAMES = Object.keys(FIELDS) as (keyof StoredFields)[];

/** connect-redis's `serializer` option; the cookie comes back from the configured attributes. */
export function sessionRecordSerializer(cookie: CookieOptions) {
  return {
    stringify(data: SessionData): string {
      const record: SessionRecord = {};
      for (const name of FIELD_NAMES) {
        const value = data[name];
        if (value !== undefined) Object.assign(record, (FIELDS[name].store as (v: typeof value) => SessionRecord)(value));
      }
      return JSON.stringify(record); // undefined values leave no key
    },

    parse(text: string): SessionData {
      const record = JSON.parse(text) as SessionRecord;
      const data: SessionData = { cookie: { ...cookie } as SessionData['cookie'] };
      for (const name of FIELD_NAMES) {
        const value = FIELDS[name].load(record);
        if (value !== undefined) Object.assign(data, { [name]: value });
      }
      return data;
    },
  };
}
