import { randomBytes } from 'node:crypto';
import { rpIdProblem } from '../config/rp-id.js';
import type { DoctorCode } from './codes.js';
import { cookiePath, domainMatches, parseSetCookie, pathMatches, rejection, sentTo, type SetCookie } from './cookies.js';
import { type Answer, messageOf, send, type TlsOptions } from './http.js';
import { Report } from './report.js';

export interface UrlOptions extends TlsOptions {
  /** https://host[:port], with the path the app is served under when it is not / (https://host/app). */
  url: URL;
  /** Where plain HTTP is served; default http://<host> (port 80). */
  httpUrl?: URL;
  /** Sign in as this user instead of registering (and deleting) a throwaway account. */
  email?: string;
  password?: string;
  /** Where the password came from: on the command line, other users of the machine see it (GH-U017). */
  passwordFrom?: 'command line' | 'environment' | 'standard input';
}

/** TEST-NET-3 (RFC 5737): never a real client, so finding it recorded proves the header was believed. */
const FORGED_ADDRESS = '203.0.113.77';
const CLOCK_TOLERANCE_MS = 30_000;
const HSTS_MIN_SECONDS = 180 * 24 * 3600;
const COOKIE_CODES: DoctorCode[] = ['GH-U007', 'GH-U008', 'GH-U009', 'GH-U010', 'GH-U011', 'GH-U012', 'GH-U013', 'GH-U014', 'GH-U015'];
const SESSION_CODES: DoctorCode[] = ['GH-U006', ...COOKIE_CODES, 'GH-U016'];
const TRUST_FIX =
  "make the proxy set X-Forwarded-Proto and X-Forwarded-For itself instead of passing on the client's (nginx: proxy_set_header X-Forwarded-For $remote_addr;), and set TRUST_PROXY to that proxy's address, not a hop count larger than the proxies in front";
const REDIRECT_FIX =
  'redirect every plain-http request to https on the same host with the path and query kept (nginx: return 308 https://$host$request_uri;)';

/** The deployment from outside, as a browser meets it: GH-U001 to GH-U018 in docs/doctor.md. */
export async function urlChecks(options: UrlOptions): Promise<Report> {
  const report = new Report();
  await deploymentChecks(report, options);
  if (options.passwordFrom === 'command line') {
    // A WARN, not a usage error: outside checkers use --password.
    report.warn(
      'GH-U017',
      'the password was given on the command line: other users of this machine can read it in the process list, and the shell keeps it in its history',
      'pipe it in with --password - (e.g. from a password manager), or set DOCTOR_PASSWORD in the environment: read -rs DOCTOR_PASSWORD && export DOCTOR_PASSWORD',
    );
  }
  return report;
}

async function deploymentChecks(report: Report, options: UrlOptions): Promise<void> {
  const base = options.url.pathname.replace(/\/+$/, '');
  const at = (path: string): URL => new URL(base + path, options.url.origin);
  const tls: TlsOptions = { ca: options.ca, insecure: options.insecure };

  const sentAt = Date.now();
  const health = await attempt(send(at('/healthz'), tls));
  const receivedAt = Date.now();
  if (health instanceof Error || health.status !== 200) {
    const problem = health instanceof Error ? unreachable(health, options) : notGatehouse(health, at('/healthz'));
    report.fail('GH-U001', problem.what, problem.fix);
    report.skip(['GH-U002', 'GH-U003', 'GH-U004', 'GH-U005', ...SESSION_CODES, 'GH-U018'], 'HTTPS did not answer');
    return;
  }
  report.pass(
    'GH-U001',
    `${options.url.origin} answers over HTTPS` +
      (options.insecure ? ' (certificate not verified: --insecure)' : ' with a certificate this machine trusts'),
  );
  await checkRedirect(report, options, base);
  checkHsts(report, health);
  checkClock(report, health, (sentAt + receivedAt) / 2);
  await sessionChecks(report, options, base, at, tls);
  const passkeyOptions = await attempt(
    send(at('/api/auth/passkey/options'), { ...tls, method: 'POST', headers: { origin: options.url.origin }, json: {} }),
  );
  checkPasskeyRpId(report, passkeyOptions, options.url);
}

function attempt(request: Promise<Answer>): Promise<Answer | Error> {
  return request.catch((error: unknown) => (error instanceof Error ? error : new Error(String(error))));
}

interface Problem {
  what: string;
  fix: string;
}

const UNTRUSTED = new Set([
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'CERT_UNTRUSTED',
]);

function unreachable(error: Error, options: UrlOptions): Problem {
  const origin = options.url.origin;
  const code = (error as NodeJS.ErrnoException).code ?? '';
  if (UNTRUSTED.has(code)) {
    return {
      what: `the certificate of ${origin} is not trusted (${code})`,
      fix: options.ca
        ? 'the --ca file is not the certificate this server presents: get it again (see the README)'
        : "pass the certificate with --ca FILE (the README shows how to get compose's), or --insecure to skip the check",
    };
  }
  if (code === 'ERR_TLS_CERT_ALTNAME_INVALID') {
    return {
      what: `the certificate of ${origin} is not for ${options.url.hostname}`,
      fix: 'use the host name the certificate is for, or issue one for this name',
    };
  }
  if (code === 'CERT_HAS_EXPIRED') return { what: `the certificate of ${origin} has expired`, fix: 'renew the certificate' };
  if (code === 'ECONNREFUSED') return { what: `nothing listens on ${origin}`, fix: 'check the host and port, and that the proxy runs' };
  if (code === 'ENOTFOUND') return { what: `${options.url.hostname} does not resolve`, fix: 'check the host name and DNS' };
  if (code === 'EPROTO' || /wrong version number|packet length too long/i.test(error.message)) {
    return { what: `${origin} does not speak TLS`, fix: 'give the HTTPS port in --url (plain http is for --http-url)' };
  }
  return { what: `${origin} could not be reached: ${error.message}`, fix: 'check the URL and that the deployment runs' };
}

function notGatehouse(answer: Answer, url: URL): Problem {
  return {
    what: `GET ${url.pathname} answered ${answer.status}, not Gatehouse's 200 (${messageOf(answer)})`,
    fix: 'give the URL the app is served under, e.g. --url https://host/app, and check that the app runs',
  };
}

async function checkRedirect(report: Report, options: UrlOptions, base: string): Promise<void> {
  const httpOrigin = (options.httpUrl ?? new URL(`http://${options.url.hostname}`)).origin;
  const probe = `${base}/doctor-probe?from=http`;
  const probeUrl = new URL(probe, httpOrigin);
  const expected = new URL(probe, options.url.origin).href;
  const answer = await attempt(send(probeUrl));
  if (answer instanceof Error) {
    const code = (answer as NodeJS.ErrnoException).code ?? answer.message;
    report.warn(
      'GH-U002',
      `nothing answers on ${httpOrigin} (${code}): a visitor who types the bare host name gets an error instead of the HTTPS site`,
      `${REDIRECT_FIX}; or name the right plain-http address with --http-url`,
    );
    return;
  }
  const location = answer.headers.location;
  if (answer.status < 300 || answer.status > 308 || !location) {
    report.fail(
      'GH-U002',
      `${probeUrl.origin} answered ${answer.status} instead of redirecting to HTTPS: the site is served over plain http`,
      REDIRECT_FIX,
    );
    return;
  }
  let target: string;
  try {
    target = new URL(location, probeUrl).href;
  } catch {
    report.fail('GH-U002', `${probeUrl.href} redirects to ${location}, which is not a URL`, REDIRECT_FIX);
    return;
  }
  if (target !== expected) {
    const why = target.startsWith('https:') ? 'the host or path is not kept' : 'not to HTTPS';
    report.fail('GH-U002', `${probeUrl.href} redirects to ${target}, not ${expected}: ${why}`, REDIRECT_FIX);
    return;
  }
  if (answer.status === 301 || answer.status === 308) {
    report.pass('GH-U002', `HTTP redirects to HTTPS with the path kept (${answer.status})`);
  } else {
    report.warn(
      'GH-U002',
      `HTTP redirects to HTTPS with a temporary ${answer.status}`,
      'make it permanent: 308 (keeps the method and body) or 301',
    );
  }
}

function checkHsts(report: Report, answer: Answer): void {
  const header = answer.headers['strict-transport-security'];
  const maxAge = /max-age\s*=\s*"?(\d+)/i.exec(header ?? '');
  const fix = 'add it at the proxy on every HTTPS response (nginx: add_header Strict-Transport-Security "max-age=31536000" always;)';
  if (!maxAge || Number(maxAge[1]) === 0) {
    report.fail(
      'GH-U003',
      `no Strict-Transport-Security on HTTPS responses${maxAge ? ' (max-age=0)' : ''}: a browser sent to an http:// link goes there first, in clear, where the connection can be taken over`,
      fix,
    );
  } else if (Number(maxAge[1]) < HSTS_MIN_SECONDS) {
    report.warn('GH-U003', `Strict-Transport-Security max-age=${maxAge[1]} is under 180 days`, 'use max-age=31536000 (one year)');
  } else {
    report.pass('GH-U003', `Strict-Transport-Security is on (max-age=${maxAge[1]})`);
  }
}

function checkClock(report: Report, answer: Answer, localMs: number): void {
  const serverMs = Date.parse(answer.headers.date ?? '');
  if (Number.isNaN(serverMs)) {
    report.warn(
      'GH-U004',
      'the deployment sends no Date header, so its clock cannot be compared with ours',
      'let the proxy send Date (nginx does by default)',
    );
    return;
  }
  const offset = serverMs - localMs;
  const seconds = Math.round(Math.abs(offset) / 1000);
  if (Math.abs(offset) <= CLOCK_TOLERANCE_MS) {
    report.pass('GH-U004', `the deployment's clock is within ${Math.max(seconds, 1)} s of ours`);
    return;
  }
  report.warn(
    'GH-U004',
    `the deployment's clock is ${seconds} s ${offset > 0 ? 'ahead of' : 'behind'} ours: remember-me cookies expire that much early or late, and session times in the API are off`,
    'synchronise the clocks with NTP (the server, or this machine if it is the one that is off)',
  );
}

async function sessionChecks(report: Report, options: UrlOptions, base: string, at: (path: string) => URL, tls: TlsOptions): Promise<void> {
  const origin = options.url.origin;
  const throwaway = options.email === undefined;
  const email = options.email ?? `doctor-${randomBytes(6).toString('hex')}@example.com`;
  // 128 characters: the longest password the API takes, so any PASSWORD_MIN_LENGTH accepts it.
  const password = options.password ?? randomBytes(96).toString('base64url');
  const step = throwaway ? 'register' : 'login';
  const signInUrl = at(`/api/auth/${step}`);
  const signIn = await attempt(
    send(signInUrl, {
      ...tls,
      method: 'POST',
      headers: { origin },
      json: throwaway ? { email, password, displayName: 'Gatehouse doctor' } : { email, password },
    }),
  );
  if (signIn instanceof Error || signIn.status !== (throwaway ? 201 : 200)) {
    const problem = signInRefused(signIn, signInUrl, origin);
    report.fail('GH-U005', problem.what, problem.fix);
    report.skip(SESSION_CODES, `${step} failed`);
    return;
  }
  report.pass('GH-U005', throwaway ? `registered a throwaway account (${email}) through the API` : `signed in as ${email}`);

  const cookie = signIn.setCookies.map(parseSetCookie).find((c) => c !== undefined);
  if (!cookie) {
    report.fail(
      'GH-U006',
      `the app answered ${signIn.status} to ${step} but sent no cookie: it does not see HTTPS`,
      "set TRUST_PROXY to your proxy's address as the app sees it (or the number of proxies in front), and make the proxy set X-Forwarded-Proto",
    );
    report.skip(COOKIE_CODES, 'no session cookie');
    if (throwaway) {
      report.warn(
        'GH-U016',
        `the throwaway account ${email} is left behind: without a cookie the doctor cannot sign in to delete it`,
        `delete it in Postgres: DELETE FROM users WHERE email = '${email}';`,
      );
    }
    return;
  }
  report.pass('GH-U006', `the app set the session cookie ${cookie.name} on ${step}`);
  cookieChecks(report, cookie, signInUrl, base || '/');

  // From here on the doctor sends the cookie as the app set it, whatever a browser would do with
  // it, so that it can still look at the rest and clean up.
  const sessionCookie = `${cookie.name}=${cookie.value}`;
  await checkComesBack(report, cookie, signInUrl, at('/api/profile'), sessionCookie, tls);
  const forgedCookie = await checkForgedHeaders(report, cookie, at, { email, password, origin, sessionCookie }, tls);

  if (throwaway) {
    const deleted = await attempt(
      send(at('/api/profile'), { ...tls, method: 'DELETE', headers: { origin, cookie: sessionCookie }, json: { password } }),
    );
    if (!(deleted instanceof Error) && deleted.status === 204) {
      report.pass('GH-U016', `the throwaway account ${email} was deleted again, with its sessions`);
    } else {
      const why =
        deleted instanceof Error
          ? deleted.message
          : `DELETE /api/profile answered ${deleted.status}${deleted.status === 404 ? ', an older Gatehouse without it' : ''}`;
      report.warn(
        'GH-U016',
        `the throwaway account ${email} could not be deleted (${why})`,
        `delete it in Postgres: DELETE FROM users WHERE email = '${email}';`,
      );
    }
    return;
  }
  const logouts = await Promise.all(
    [sessionCookie, forgedCookie]
      .filter((c): c is string => c !== undefined)
      .map((c) => attempt(send(at('/api/auth/logout'), { ...tls, method: 'POST', headers: { origin, cookie: c } }))),
  );
  if (logouts.every((answer) => !(answer instanceof Error) && answer.status === 204)) {
    report.pass('GH-U016', "the doctor's sessions were signed out again");
  } else {
    report.warn('GH-U016', `the doctor could not sign all its sessions of ${email} out`, 'revoke them on the sessions page (/sessions)');
  }
}

function signInRefused(answer: Answer | Error, url: URL, origin: string): Problem {
  const request = `POST ${url.pathname}`;
  if (answer instanceof Error) return { what: `${request} failed: ${answer.message}`, fix: "check GET /readyz and the app's logs" };
  const message = messageOf(answer);
  const said = `${request} answered ${answer.status} (${message})`;
  if (answer.status === 403 && /cross-site/i.test(message)) {
    return {
      what: `${said}: the app took the doctor's Origin ${origin} for another site`,
      fix: `set PUBLIC_ORIGIN=${origin}, the origin browsers use`,
    };
  }
  if (answer.status === 401) return { what: said, fix: 'check --email and its password' };
  if (answer.status === 202) {
    return {
      what: `${request} answered 202: that account has two-step sign-in on, and the doctor does not sign in with a second factor`,
      fix: 'give --email of an account without two-step sign-in, or leave out --email and --password (a throwaway account)',
    };
  }
  if (answer.status === 404)
    return { what: `${said}: no Gatehouse API there`, fix: 'give the URL the app is served under, e.g. --url https://host/app' };
  if (answer.status === 429) return { what: `${said}: throttled`, fix: 'wait for the Retry-After and run the doctor again' };
  if (answer.status >= 500) return { what: `${said}: the app or a store it needs is down`, fix: "check GET /readyz and the app's logs" };
  return { what: said, fix: 'act on the message; with --email and --password the doctor signs in instead of registering' };
}

function cookieChecks(report: Report, cookie: SetCookie, setBy: URL, appPath: string): void {
  const { name } = cookie;
  const prefix = name.startsWith('__Host-') ? '__Host-' : name.startsWith('__Secure-') ? '__Secure-' : undefined;
  const broken = [
    !cookie.secure && 'no Secure',
    prefix === '__Host-' && cookie.domain !== undefined && 'a Domain',
    prefix === '__Host-' && cookie.path !== '/' && 'a Path other than /',
  ].filter((rule): rule is string => typeof rule === 'string');
  if (!prefix) {
    report.warn(
      'GH-U007',
      `the cookie ${name} has no __Host- or __Secure- prefix: a sibling subdomain, or a plain-http page on the network, can plant or overwrite it`,
      'leave SESSION_COOKIE_NAME unset (the app picks __Host-sid), or name it __Host-… (__Secure-… with a Domain)',
    );
  } else if (broken.length) {
    report.fail(
      'GH-U007',
      `the cookie ${name} breaks the ${prefix} rules (${broken.join(', ')}): browsers drop it`,
      'do not let the proxy rewrite the cookie (nginx: no proxy_cookie_path or proxy_cookie_domain); the app refuses such settings itself',
    );
  } else {
    report.pass('GH-U007', `the cookie ${name} keeps the ${prefix} prefix rules`);
  }

  if (cookie.secure) report.pass('GH-U008', 'the cookie is Secure');
  else {
    report.fail(
      'GH-U008',
      'the cookie is not Secure: a browser also sends it over plain http, where anyone on the network can read it',
      'set NODE_ENV=production (or SESSION_COOKIE_SECURE=true)',
    );
  }

  if (cookie.httpOnly) report.pass('GH-U009', 'the cookie is HttpOnly');
  else {
    report.fail(
      'GH-U009',
      "the cookie is not HttpOnly: the page's scripts can read it, so an XSS steals the session",
      'do not let the proxy rewrite the cookie (the app always sets HttpOnly)',
    );
  }

  const sameSite = cookie.sameSite;
  if (sameSite === 'lax' || sameSite === 'strict') {
    report.pass('GH-U010', `the cookie is SameSite=${sameSite[0].toUpperCase()}${sameSite.slice(1)}`);
  } else if (sameSite === 'none' && !cookie.secure) {
    report.fail('GH-U010', 'the cookie is SameSite=None without Secure: browsers drop it', 'set SESSION_COOKIE_SAMESITE=lax');
  } else if (sameSite === 'none') {
    report.warn(
      'GH-U010',
      'the cookie is SameSite=None: browsers send it with requests from every other site, so only the Origin check stands against CSRF',
      'set SESSION_COOKIE_SAMESITE=lax unless another site really must use the session',
    );
  } else {
    report.warn(
      'GH-U010',
      `the cookie has ${sameSite ? `an unknown SameSite=${sameSite}` : 'no SameSite'}: browsers differ on what they do then`,
      'set SESSION_COOKIE_SAMESITE=lax (the default), and do not let the proxy rewrite the cookie',
    );
  }

  const host = setBy.hostname;
  if (cookie.domain === undefined) {
    report.pass('GH-U011', `the cookie is host-only (no Domain): it goes to ${host} alone`);
  } else if (!domainMatches(host, cookie.domain)) {
    report.fail(
      'GH-U011',
      `the cookie's Domain=${cookie.domain} does not match ${host}: the browser drops the cookie, so no request carries it`,
      `unset SESSION_COOKIE_DOMAIN (a host-only cookie), or set it to ${host} or a parent domain of it`,
    );
  } else if (cookie.domain !== host) {
    report.warn(
      'GH-U011',
      `the cookie's Domain=${cookie.domain} sends the session to every subdomain of ${cookie.domain}, not only ${host}`,
      'unset SESSION_COOKIE_DOMAIN unless other subdomains must share the session',
    );
  } else {
    report.pass('GH-U011', `the cookie's Domain=${cookie.domain} is the host itself (it also goes to its subdomains)`);
  }

  const path = cookiePath(cookie, setBy);
  if (!pathMatches(appPath, path)) {
    report.fail(
      'GH-U012',
      `the cookie's Path=${path} is narrower than the app at ${appPath}: pages outside ${path} (e.g. ${appPath.replace(/\/$/, '')}/profile) are signed out`,
      appPath === '/' ? 'unset SESSION_COOKIE_PATH (it defaults to /)' : `set SESSION_COOKIE_PATH=${appPath}`,
    );
  } else if (path !== appPath) {
    report.fail(
      'GH-U012',
      `the cookie's Path=${path} is wider than the app at ${appPath}: every other app under ${path} on ${host} receives the session cookie, and one using the same cookie name overwrites it`,
      `make the proxy that serves the app under ${appPath} scope the cookie to it (nginx: proxy_cookie_path / ${appPath};), with SESSION_COOKIE_NAME=__Secure-sid (a __Host- cookie must have Path=/)`,
    );
  } else {
    report.pass('GH-U012', `the cookie's Path=${path} is the app's path`);
  }
}

async function checkComesBack(
  report: Report,
  cookie: SetCookie,
  setBy: URL,
  profileUrl: URL,
  sessionCookie: string,
  tls: TlsOptions,
): Promise<void> {
  const refused = rejection(cookie, setBy);
  if (refused) {
    report.fail(
      'GH-U013',
      `a browser refuses the cookie (${refused}), so the next request is not signed in`,
      'fix the cookie check that failed above',
    );
    return;
  }
  if (!sentTo(cookie, setBy, profileUrl)) {
    report.fail(
      'GH-U013',
      `a browser keeps the cookie but does not send it to ${profileUrl.pathname}, so the next request is not signed in`,
      "set SESSION_COOKIE_PATH to the app's path (/ unless it is served under a sub-path)",
    );
    return;
  }
  const profile = await attempt(send(profileUrl, { ...tls, headers: { cookie: sessionCookie } }));
  if (!(profile instanceof Error) && profile.status === 200) {
    report.pass('GH-U013', `the cookie comes back and GET ${profileUrl.pathname} is signed in`);
    return;
  }
  const said = profile instanceof Error ? profile.message : `${profile.status} (${messageOf(profile)})`;
  report.fail(
    'GH-U013',
    `the cookie came back but GET ${profileUrl.pathname} answered ${said}: the app did not find the session`,
    'give every app instance the same SESSION_SECRET and the same Redis',
  );
}

/**
 * Signs in once more with X-Forwarded-Proto and X-Forwarded-For of our own choosing, as any
 * client can send them. A proxy that sets these headers itself hides them from the app; one that
 * passes them on, with an app that trusts it as a hop, lets a client pick its scheme and address.
 * Returns that second session's cookie, if it got one (to sign it out again).
 */
async function checkForgedHeaders(
  report: Report,
  cookie: SetCookie,
  at: (path: string) => URL,
  user: { email: string; password: string; origin: string; sessionCookie: string },
  tls: TlsOptions,
): Promise<string | undefined> {
  const login = await attempt(
    send(at('/api/auth/login'), {
      ...tls,
      method: 'POST',
      headers: { origin: user.origin, 'x-forwarded-proto': 'http', 'x-forwarded-for': FORGED_ADDRESS },
      json: { email: user.email, password: user.password },
    }),
  );
  if (login instanceof Error || login.status !== 200) {
    const said = login instanceof Error ? login.message : `${login.status} (${messageOf(login)})`;
    for (const code of ['GH-U014', 'GH-U015'] as const) {
      report.warn(code, `not checked: the login with forged X-Forwarded-* headers answered ${said}`, 'run the doctor again');
    }
    return undefined;
  }
  const second = login.setCookies.map(parseSetCookie).find((c) => c?.name === cookie.name);

  if (!cookie.secure) {
    report.warn(
      'GH-U014',
      'not checked: the cookie is not Secure, so a forged X-Forwarded-Proto changes nothing visible',
      'fix GH-U008 and run the doctor again',
    );
  } else if (second) {
    report.pass('GH-U014', 'a client-sent X-Forwarded-Proto: http was not believed (the Secure cookie was still sent)');
  } else {
    report.fail('GH-U014', 'the app believed a client-sent X-Forwarded-Proto: http and withheld the Secure cookie', TRUST_FIX);
  }

  const sessions = await attempt(send(at('/api/sessions'), { ...tls, headers: { cookie: user.sessionCookie } }));
  let list: unknown;
  if (!(sessions instanceof Error) && sessions.status === 200) {
    try {
      list = JSON.parse(sessions.body);
    } catch {
      list = undefined;
    }
  }
  if (!Array.isArray(list)) {
    const said = sessions instanceof Error ? sessions.message : `${sessions.status} (${messageOf(sessions)})`;
    report.warn('GH-U015', `not checked: GET /api/sessions answered ${said}`, 'run the doctor again');
  } else {
    // A broken or hostile server's entries need not be objects.
    const entries = list.map((entry: unknown) => (typeof entry === 'object' && entry !== null ? entry : {}));
    checkForwardedFor(report, entries as { current?: unknown; ip?: unknown }[]);
  }
  return second ? `${second.name}=${second.value}` : undefined;
}

/**
 * GH-U015 from the account's sessions (GET /api/sessions, with the doctor's first session as the
 * current one). With --email/--password that is a real account: its other sessions are the
 * user's other devices, so their addresses and browsers are never printed, only how many there
 * are and the address the app recorded for the doctor itself.
 */
export function checkForwardedFor(report: Report, sessions: { current?: unknown; ip?: unknown }[]): void {
  if (sessions.some((session) => session.ip === FORGED_ADDRESS)) {
    report.fail(
      'GH-U015',
      `the app recorded ${FORGED_ADDRESS}, sent by the doctor as X-Forwarded-For, as its address: a client picks its own address (and dodges the per-address limits)`,
      TRUST_FIX,
    );
    return;
  }
  const own = sessions.find((session) => session.current === true);
  const ownAddress = own && typeof own.ip === 'string' ? `; the doctor's own session records ${own.ip}` : '';
  report.pass(
    'GH-U015',
    `a client-sent X-Forwarded-For was not believed (none of the account's ${sessions.length} sessions records ${FORGED_ADDRESS}${ownAddress})`,
  );
}

/**
 * GH-U018, the passkey twin of the seed failure seen from outside: the RP id in the passkey
 * options the deployment serves (signed out, as the login page asks for them) against the host
 * the URL names. A browser on that host refuses an RP id that is neither the host nor a parent
 * domain of it, before anything reaches the app (config/rp-id.ts).
 */
export function checkPasskeyRpId(report: Report, answer: Answer | Error, url: URL): void {
  const request = 'POST /api/auth/passkey/options';
  if (answer instanceof Error || answer.status !== 200) {
    const said = answer instanceof Error ? answer.message : `${answer.status} (${messageOf(answer)})`;
    if (!(answer instanceof Error) && answer.status === 404) {
      report.warn(
        'GH-U018',
        `not checked: ${request} answered ${said}, a Gatehouse without passkeys`,
        'nothing to do unless it should offer passkeys',
      );
    } else {
      report.warn(
        'GH-U018',
        `not checked: ${request} answered ${said}`,
        "run the doctor again; a 403 cross-site is GH-U005's PUBLIC_ORIGIN",
      );
    }
    return;
  }
  let rpId: unknown;
  try {
    rpId = (JSON.parse(answer.body) as { rpId?: unknown }).rpId;
  } catch {
    rpId = undefined;
  }
  const host = url.hostname.replace(/^\[|\]$/g, '');
  if (typeof rpId !== 'string' || rpId === '') {
    report.warn('GH-U018', `not checked: the passkey options (${request}) name no RP id`, 'give the URL of a Gatehouse deployment');
    return;
  }
  const problem = rpIdProblem(rpId, url.origin);
  if (!problem) {
    report.pass(
      'GH-U018',
      `the passkey options name RP id ${rpId}, ${rpId === host ? 'the host' : 'a parent domain of the host'} the URL names`,
    );
  } else if (problem.severity === 'warn') {
    report.warn(
      'GH-U018',
      `${problem.what}: the passkey buttons will fail`,
      'reach the deployment by a domain name for its users to sign in with passkeys',
    );
  } else {
    report.fail(
      'GH-U018',
      `the passkey options name RP id ${rpId}, but the deployment is reached at ${host}: every passkey ceremony fails in the browser (SecurityError) before it reaches the app`,
      `set WEBAUTHN_RP_ID to ${host} or a parent domain of it, or unset it with PUBLIC_ORIGIN=${url.origin} (the RP id defaults to its host)`,
    );
  }
}
