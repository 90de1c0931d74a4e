import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import pg from 'pg';
import { Client, signedInClient } from '../../tools/client/client.js';
import { request, type Response } from '../../tools/client/http.js';
import { isRateLimited, paceRateLimited } from '../../tools/client/pace.js';
import { connectRedis, type TestRedis } from '../../tools/client/redis.js';
import { describeNative, startTarget, stopTarget, type Target } from '../support/target.js';
import { signedCookieValue } from '../../src/session/session-cookie.js';

/**
 * Property: whatever arrives — malformed, oversized or hostile bodies, headers and cookies — at
 * any API endpoint through nginx, the answer is never a 5xx, never a stack trace, a JSON error on
 * /api, within 2 s; and nothing is left behind in Postgres or Redis but what a successful
 * register or login legitimately created. Reproduce a failure with FC_SEED=<seed it printed>.
 */
const RUNS = 150;
const MAX_MS = 2_000;
const COOKIE = '__Host-sid';

const ENDPOINTS: [method: string, path: string][] = [
  ['POST', '/api/auth/register'],
  ['POST', '/api/auth/login'],
  ['POST', '/api/auth/logout'],
  ['GET', '/api/profile'],
  ['PATCH', '/api/profile'],
  ['PUT', '/api/profile/password'],
  ['GET', '/api/session'],
  ['GET', '/api/sessions'],
  ['DELETE', '/api/sessions/:id'],
  ['DELETE', '/api/sessions'],
  ['POST', '/api/auth/password-reset'],
  ['POST', '/api/auth/password-reset/confirm'],
  ['POST', '/api/auth/verify-email'],
  ['POST', '/api/auth/verify-email/resend'],
  ['POST', '/api/auth/passkey/options'],
  ['POST', '/api/auth/passkey'],
  ['POST', '/api/profile/passkeys/options'],
  ['POST', '/api/profile/passkeys'],
  ['PATCH', '/api/profile/passkeys/:id'],
  ['DELETE', '/api/profile/passkeys/:id'],
  ['GET', '/api/profile/activity'],
  ['GET', '/healthz'],
  ['GET', '/readyz'],
];

// --- Arbitraries -------------------------------------------------------------------------------

/** `arbitrary` in one run out of `outOf`, null otherwise (fc.option's freq is the other way round). */
const sometimes = <T>(arbitrary: fc.Arbitrary<T>, outOf: number) =>
  fc.oneof({ weight: outOf - 1, arbitrary: fc.constant(null) }, { weight: 1, arbitrary });

/** Header-safe text (Node refuses CR, LF and controls): printable ASCII and raw Latin-1 bytes. */
const headerText = (maxLength: number) =>
  fc.string({
    unit: fc
      .integer({ min: 0x20, max: 0xff })
      .filter((c) => c !== 0x7f)
      .map((c) => String.fromCharCode(c)),
    maxLength,
  });
const hostileKey = fc.constantFrom('__proto__', 'constructor', 'prototype', 'toString', 'hasOwnProperty', 'then');
const fieldName = fc.constantFrom('email', 'password', 'displayName', 'rememberMe', 'currentPassword', 'newPassword', 'response', 'name');
/** JSON text of a value: plain ones, hostile strings, and nesting deep enough to break a recursive walk. */
const valueText = fc.oneof(
  fc
    .oneof(
      fc.string(),
      fc.constantFrom('', '\u0000', 'a\u0000b', 'Fuzz\u0000', '\u001b[2J', '\uD800', '\u202Egnp.exe', ' '.repeat(200)),
      fc.emailAddress(),
      fc.integer(),
      fc.double(),
      fc.boolean(),
      fc.constant(null),
      fc.array(fc.string(), { maxLength: 3 }),
      fc.constantFrom({ isAdmin: true }, { prototype: { polluted: true } }, { toString: 'x' }, {}),
    )
    .map((value) => JSON.stringify(value)),
  fc
    .tuple(fc.integer({ min: 10, max: 2_500 }), fc.constantFrom(['{"a":', '}'], ['[', ']'], ['{"__proto__":', '}']))
    .map(([depth, [open, close]]) => open.repeat(depth) + '1' + close.repeat(depth)),
);
const objectText = (entries: [string, string][]) => `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${v}`).join(',')}}`;
/**
 * A valid body for the endpoint (filled in by the test, which knows the endpoint and the user)
 * with up to two fields replaced or added: this is what reaches the services and the database.
 */
const nearValid = fc.record({
  id: fc.uuid(),
  changes: fc.array(fc.tuple(fc.oneof(fieldName, fieldName, hostileKey), valueText), { maxLength: 2 }),
});
const invalidUtf8 = fc.constantFrom(
  Buffer.from([0xff, 0xfe, 0xfd]),
  Buffer.from([0xc0, 0x80]), // overlong NUL
  Buffer.from([0xed, 0xa0, 0x80]), // a UTF-16 surrogate, UTF-8 encoded
  Buffer.from([0xf4, 0x90, 0x80, 0x80]), // beyond U+10FFFF
  Buffer.from([0xe2, 0x82]), // truncated
);
const payload = fc.oneof(
  {
    weight: 4,
    arbitrary: fc
      .array(fc.tuple(fc.oneof(fieldName, hostileKey, fc.string({ maxLength: 20 })), valueText), { maxLength: 6 })
      .map(objectText),
  },
  { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 3 }).map((v) => JSON.stringify(v)) },
  {
    weight: 1,
    arbitrary: invalidUtf8.map((bytes) =>
      Buffer.concat([Buffer.from('{"displayName":"a'), bytes, Buffer.from('","email":"a@example.com"}')]),
    ),
  },
  { weight: 1, arbitrary: fc.uint8Array({ minLength: 1, maxLength: 300 }).map((bytes) => Buffer.from(bytes)) },
  { weight: 1, arbitrary: fc.string({ maxLength: 200 }) },
  {
    weight: 1,
    arbitrary: fc
      .integer({ min: 16 * 1024 + 1, max: 64 * 1024 })
      .map((size) => objectText([['displayName', JSON.stringify('x'.repeat(size))]])),
  },
  { weight: 1, arbitrary: fc.constant(Buffer.alloc(1_200_000, 0x61)) }, // over nginx's own 1 MiB cap
  {
    weight: 1,
    arbitrary: fc.constantFrom('email=a%40example.com&password=x', '__proto__[admin]=1&constructor[prototype][x]=1', '%%%&&=='),
  },
  { weight: 2, arbitrary: fc.constant(undefined) },
);
const body = fc.oneof({ weight: 3, arbitrary: nearValid }, { weight: 4, arbitrary: payload });
const contentType = fc.option(
  fc.oneof(
    { weight: 3, arbitrary: fc.constant('application/json') },
    fc.constantFrom(
      'application/json; charset=utf-8',
      'application/json; charset=utf-16le',
      'application/json; charset=latin1',
      'application/json; charset=no-such-charset',
      'text/plain',
      'application/x-www-form-urlencoded',
      'multipart/form-data; boundary=x',
      'application/xml',
      '*/*',
      ';;;',
    ),
    headerText(100),
  ),
  { freq: 6 },
);
const contentEncoding = sometimes(fc.constantFrom('gzip', 'deflate', 'br', 'identity', 'x-bogus', 'gzip, gzip'), 10);

type CookieKind = 'session' | 'forged' | 'unknown-session' | 'garbage' | 'huge' | 'many' | 'none';
const cookie = fc.oneof(
  fc.constantFrom<CookieKind>('session', 'session', 'forged', 'unknown-session', 'many', 'none', 'none'),
  fc.constant<CookieKind>('huge'),
  fc.constant<CookieKind>('garbage'),
);
const sessionHandle = fc.oneof(
  fc.string({ maxLength: 80 }).map(encodeURIComponent),
  fc.constantFrom('%', '%zz', '%00', '%ff%fe', '%c0%80', '..%2f..%2fetc%2fpasswd', 'a'.repeat(3_000), '%E2%80%AE'),
);
const hostileRequest = fc.record({
  endpoint: fc.constantFrom(...ENDPOINTS),
  /** Now and then the wrong method for the path. */
  method: sometimes(fc.constantFrom('GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS', 'HEAD'), 8),
  id: sessionHandle,
  query: sometimes(fc.string({ maxLength: 40 }).map(encodeURIComponent), 4),
  body,
  contentType,
  contentEncoding,
  cookie,
  cookieText: headerText(12_000),
  origin: sometimes(fc.oneof(fc.constantFrom('null', 'https://evil.example'), headerText(60)), 8),
  extraHeaders: fc.dictionary(
    fc.constantFrom(
      'x-forwarded-for',
      'x-forwarded-proto',
      'x-request-id',
      'authorization',
      'accept',
      'user-agent',
      'x-http-method-override',
    ),
    headerText(2_000),
    { maxKeys: 3 },
  ),
});

// --- The test ----------------------------------------------------------------------------------

let target: Target;
beforeAll(async () => {
  target = await startTarget();
});
afterAll(async () => {
  await stopTarget(target);
});

/**
 * What the property found once at the edge, pinned down: each was nginx's HTML page. What it
 * found in the app (deep nesting, __proto__ keys, a NUL in a name) is pinned in process
 * (test/integration/api.int-spec.ts).
 */
describe('hostile inputs that once got through', () => {
  const send = (method: string, path: string, cookie?: string) =>
    request(target.baseUrl, { method, path, ca: target.ca, headers: { origin: target.baseUrl, ...(cookie ? { cookie } : {}) } });

  it.each([
    ['a bad %-escape in the path', () => send('DELETE', '/api/sessions/%zz')],
    ['a cookie header over 8 KiB', () => send('GET', '/api/profile', `c=${'x'.repeat(9_000)}`)],
  ])('nginx answers %s with a JSON 400, not its HTML page', async (_name, sendIt) => {
    const res = await sendIt();
    expect(res.status).toBe(400);
    expect(res.headers['content-type']).toBe('application/json');
    expect(res.json()).toEqual({ statusCode: 400, error: 'Bad Request', message: 'Malformed request' });
  });
});

describeNative('hostile input, property-based (native stack: counts rows and keys)', () => {
  let db: pg.Client;
  let redis: TestRedis;
  beforeAll(async () => {
    db = new pg.Client({ connectionString: target.stack!.databaseUrl });
    await db.connect();
    redis = await connectRedis(target.stack!.redisUrl);
  });
  afterAll(async () => {
    await db?.end();
    await redis?.close();
  });

  const countUsers = async () => Number((await db.query('SELECT count(*) FROM users')).rows[0].count);
  const leftKeys = async () => [...(await redis.keys('sess:*')), ...(await redis.keys('user-sessions:*'))].sort();
  const cookieValue = (res: Response) =>
    (res.headers['set-cookie'] ?? []).map((line) => /^__Host-sid=([^;]+)/.exec(line)?.[1]).find(Boolean);

  it(`${RUNS} random hostile requests: no 5xx, no stack trace, JSON errors, under ${MAX_MS} ms, nothing left behind`, async () => {
    const usersBefore = await countUsers();
    const keysBeforeNames = await leftKeys();
    const secret = target.stack!.appEnv.SESSION_SECRET.split(',')[0];

    // A real signed-in session to send hostile requests with; re-created when a run logs it out.
    let usersCreated = 0;
    const sessions: string[] = []; // every session cookie issued, logged out at the end
    let email = '';
    const signIn = async () => {
      const { client, user } = await signedInClient(target);
      usersCreated++;
      email = user.email;
      sessions.push((await client.cookie(COOKIE))!.value);
      return sessions.at(-1)!;
    };
    let session = await signIn();
    /** A valid body for each endpoint that takes one (the login and password are the real ones). */
    const validFields = (template: string, id: string): Record<string, string> => {
      const fields: Record<string, Record<string, unknown>> = {
        '/api/auth/register': { email: `fuzz-${id}@example.com`, password: 'correct horse battery staple', displayName: 'Fuzz' },
        '/api/auth/login': { email, password: 'correct horse battery staple', rememberMe: false },
        '/api/profile': { displayName: 'Fuzz' },
        '/api/profile/password': { currentPassword: 'correct horse battery staple', newPassword: `new password ${id}` },
        '/api/auth/password-reset': { email },
        '/api/auth/password-reset/confirm': { token: id, newPassword: `new password ${id}` },
        '/api/auth/verify-email': { token: id },
        '/api/profile/passkeys/:id': { name: 'Fuzz' },
      };
      return Object.fromEntries(Object.entries(fields[template] ?? {}).map(([k, v]) => [k, JSON.stringify(v)]));
    };
    const statuses = new Map<number, number>();

    const property = fc.asyncProperty(hostileRequest, async (r) => {
      const [defaultMethod, template] = r.endpoint;
      const method = r.method ?? defaultMethod;
      const path = template.replace(':id', r.id) + (r.query === null ? '' : `?${r.query}`);
      const body =
        r.body !== undefined && typeof r.body === 'object' && 'changes' in r.body
          ? objectText(Object.entries({ ...validFields(template, r.body.id), ...Object.fromEntries(r.body.changes) }))
          : r.body;
      const cookies: Record<CookieKind, string | undefined> = {
        session: `${COOKIE}=${session}`,
        forged: `${COOKIE}=${encodeURIComponent(`s:${randomBytes(24).toString('base64url')}.forgedsignature`)}`,
        'unknown-session': `${COOKIE}=${encodeURIComponent(signedCookieValue(randomBytes(24).toString('base64url'), secret))}`,
        garbage: r.cookieText.slice(0, 500),
        huge: `${COOKIE}=${r.cookieText}`,
        many: Array.from({ length: 60 }, (_, i) => `c${i}=${i}`).join('; ') + `; ${COOKIE}=${session}; ${COOKIE}=x`,
        none: undefined,
      };
      const headers: Record<string, string> = { ...r.extraHeaders, origin: r.origin ?? target.baseUrl };
      if (cookies[r.cookie] !== undefined) headers.cookie = cookies[r.cookie]!;
      if (r.contentType !== null) headers['content-type'] = r.contentType;
      if (r.contentEncoding !== null) headers['content-encoding'] = r.contentEncoding;

      if (isRateLimited(method, path)) await paceRateLimited(); // a raw request: stay under nginx's limit
      const start = performance.now();
      const res = await request(target.baseUrl, { method, path, headers, body, ca: target.ca, timeoutMs: 10_000 });
      const ms = performance.now() - start;
      statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);

      const what = `${method} ${path.slice(0, 80)} → ${res.status}: ${res.body.slice(0, 300)}`;
      expect({ what, serverError: res.status >= 500 }).toEqual({ what, serverError: false });
      expect({ what, ms: ms < MAX_MS }).toEqual({ what, ms: true });
      expect(res.body).not.toMatch(/\n\s+at |\bat [\w.<>]+ \(|(?:node_modules|dist\/src|\/src\/)[\w/.-]*\.[cm]?[jt]s/);
      if (path.startsWith('/api') && res.status >= 400 && method !== 'HEAD') {
        expect(res.headers['content-type']).toMatch(/^application\/json/);
        expect(res.json()).toEqual({
          statusCode: res.status,
          error: expect.any(String),
          message: expect.anything(),
        });
      }

      // Account for what a run may legitimately create or end.
      if (res.status === 201 && template === '/api/auth/register') usersCreated++;
      const issued = cookieValue(res);
      if (issued && res.status < 300) sessions.push(issued); // login, register, password change
      if (r.cookie === 'session' || r.cookie === 'many') {
        if ((await new Client(target).send('GET', '/api/session', undefined, { cookie: `${COOKIE}=${session}` })).status !== 200) {
          session = await signIn();
        }
      }
    });
    // Printed before the run, so that a failure after the property (keys left behind) can be
    // replayed with FC_SEED too, not only one that fast-check reports itself.
    const seed = process.env.FC_SEED ? Number(process.env.FC_SEED) : Math.floor(Math.random() * 2 ** 31);
    process.stdout.write(`hostile input: FC_SEED=${seed}\n`);
    await fc.assert(property, { numRuns: RUNS, seed });
    process.stdout.write(`hostile input: statuses ${JSON.stringify(Object.fromEntries([...statuses].sort()))}\n`);

    // Everything a run created legitimately is ended; then nothing may remain.
    for (const value of sessions) {
      await request(target.baseUrl, {
        method: 'POST',
        path: '/api/auth/logout',
        headers: { origin: target.baseUrl, cookie: `${COOKIE}=${value}` },
        ca: target.ca,
      });
    }
    expect(await countUsers()).toBe(usersBefore + usersCreated);
    // The keys by name when some are left, so a failure says which kind of record leaked.
    expect(await leftKeys()).toEqual(keysBeforeNames);
  }, 120_000);
});
