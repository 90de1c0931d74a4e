import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import pg from 'pg';
import type { Stack } from '../../tools/stack/stack.js';
import { Client, signedInClient } from '../../tools/client/client.js';
import { request } from '../../tools/client/http.js';
import { describeNative, startTarget, stopTarget, type Target } from '../support/target.js';

/**
 * `npm run doctor` against the seed failures of a session cookie behind a proxy: each one is
 * reproduced on a real stack (nginx, app, Redis, Postgres), and the doctor must name it with its
 * code and fix, line for line, and exit 1; the healthy stack passes every check and exits 0.
 */

interface DoctorRun {
  code: number | null;
  lines: string[];
  stdout: string;
}

/** Runs the built doctor as a child process with exactly this environment (plus PATH), and this standard input. */
function doctor(args: string[], env: Record<string, string> = {}, input = ''): Promise<DoctorRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['dist/src/doctor.js', ...args], { env: { PATH: process.env.PATH ?? '', ...env } });
    child.stdin.end(input);
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    child.on('error', reject);
    child.on('exit', (code) => {
      clearTimeout(timer);
      if (stderr) process.stdout.write(`doctor stderr: ${stderr}\n`);
      resolve({ code, stdout, lines: stdout.trimEnd().split('\n') });
    });
  });
}

/** `--url <base> --ca <the stack's certificate> --http-url <nginx's plain-http port>`. */
function urlArgs(stack: Stack, base = stack.baseUrl, httpUrl = stack.httpUrl): string[] {
  return ['--url', base, '--ca', path.join(stack.dir, 'tls/cert.pem'), '--http-url', httpUrl];
}

const codes = (run: DoctorRun) => run.lines.slice(0, -1).map((line) => line.split(' ').slice(0, 2).join(' '));
const allPass = (...numbers: number[]) => numbers.map((n) => `PASS GH-U${String(n).padStart(3, '0')}`);
const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);

interface BrokenProxy {
  url: string;
  httpUrl: string;
  close(): Promise<void>;
}

/**
 * A TLS-terminating proxy straight to the app, standing in for a misconfigured edge: it sends
 * HSTS or not, redirects plain http or serves it, and sets X-Forwarded-For or (the common
 * `$proxy_add_x_forwarded_for` mistake) appends to whatever the client sent. It uses the stack's
 * certificate, and presents the stack's public origin to the app, whose PUBLIC_ORIGIN is nginx's.
 */
async function brokenProxy(
  stack: Stack,
  behaviour: { hsts: boolean; redirect: boolean; appendForwardedFor: boolean },
): Promise<BrokenProxy> {
  const upstream = new URL(stack.appUrls[0]);
  const forward = (req: IncomingMessage, res: ServerResponse): void => {
    const client = req.socket.remoteAddress ?? '';
    const sent = req.headers['x-forwarded-for'];
    const headers = {
      ...req.headers,
      ...(req.headers.origin ? { origin: stack.baseUrl } : {}),
      'x-forwarded-proto': 'https',
      'x-forwarded-for': behaviour.appendForwardedFor && sent ? `${String(sent)}, ${client}` : client,
    };
    const out = http.request({ host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers }, (answer) => {
      const kept = { ...answer.headers };
      delete kept['strict-transport-security'];
      res.writeHead(answer.statusCode ?? 502, behaviour.hsts ? { ...kept, 'strict-transport-security': 'max-age=31536000' } : kept);
      answer.pipe(res);
    });
    out.on('error', () => res.writeHead(502).end());
    req.pipe(out);
  };
  const tls = { cert: readFileSync(path.join(stack.dir, 'tls/cert.pem')), key: readFileSync(path.join(stack.dir, 'tls/key.pem')) };
  const secure = https.createServer(tls, forward);
  const plain = http.createServer((req, res) => {
    if (!behaviour.redirect) return void res.writeHead(200, { 'content-type': 'text/html' }).end('<p>Gatehouse over plain http</p>');
    res.writeHead(308, { location: `https://localhost:${(secure.address() as AddressInfo).port}${req.url}` }).end();
  });
  const listen = (server: http.Server) =>
    new Promise<number>((resolve) => server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port)));
  const [httpsPort, httpPort] = [await listen(secure), await listen(plain)];
  return {
    url: `https://localhost:${httpsPort}`,
    httpUrl: `http://localhost:${httpPort}`,
    close: async () => {
      await Promise.all([secure, plain].map((server) => new Promise((resolve) => server.close(resolve))));
    },
  };
}

describeNative('npm run doctor', () => {
  describe('the healthy stack', () => {
    let target: Target;
    beforeAll(async () => {
      target = await startTarget();
    });
    afterAll(async () => {
      await stopTarget(target);
    });

    it('passes every outside check, exits 0 and leaves no throwaway account behind', async () => {
      const run = await doctor(urlArgs(target.stack!));
      process.stdout.write(`doctor, healthy stack:\n${run.stdout}`);
      expect(codes(run)).toEqual(allPass(...range(1, 16), 18));
      expect(run.lines.at(-1)).toBe('Summary: 17 pass, 0 warn, 0 fail');
      expect(run.code).toBe(0);
      const db = new pg.Client({ connectionString: target.stack!.databaseUrl });
      await db.connect();
      try {
        expect((await db.query(`SELECT count(*)::int AS n FROM users WHERE email LIKE 'doctor-%'`)).rows).toEqual([{ n: 0 }]);
      } finally {
        await db.end();
      }
    });

    it('prints the same as JSON with --json', async () => {
      const run = await doctor([...urlArgs(target.stack!), '--json']);
      const report = JSON.parse(run.stdout) as { ok: boolean; checks: { status: string; code: string }[]; summary: unknown };
      expect(report.ok).toBe(true);
      expect(report.checks.map((check) => `${check.status} ${check.code}`)).toEqual(allPass(...range(1, 16), 18));
      expect(report.summary).toEqual({ pass: 17, warn: 0, fail: 0 });
      expect(run.code).toBe(0);
    });

    it('signs in with --email/--password instead, signs its own sessions out again, and names no other session', async () => {
      const { client, user } = await signedInClient(target);
      // The same user on another device, from another client address.
      const phone = new Client(target, 'gatehouse-e2e-phone', '127.0.0.2');
      expect((await phone.post('/api/auth/login', { email: user.email, password: user.password })).status).toBe(200);
      const run = await doctor([...urlArgs(target.stack!), '--email', user.email, '--password', user.password]);
      expect(codes(run)).toEqual([...allPass(...range(1, 16), 18), 'WARN GH-U017']);
      expect(run.lines).toEqual(
        expect.arrayContaining([
          `PASS GH-U005 signed in as ${user.email} — nothing to do`,
          "PASS GH-U015 a client-sent X-Forwarded-For was not believed (none of the account's 4 sessions records 203.0.113.77; the doctor's own session records 127.0.0.1) — nothing to do",
          "PASS GH-U016 the doctor's sessions were signed out again — nothing to do",
          'WARN GH-U017 the password was given on the command line: other users of this machine can read it in the process list, and the shell keeps it in its history — pipe it in with --password - (e.g. from a password manager), or set DOCTOR_PASSWORD in the environment: read -rs DOCTOR_PASSWORD && export DOCTOR_PASSWORD',
        ]),
      );
      expect(run.lines.at(-1)).toBe('Summary: 17 pass, 1 warn, 0 fail');
      // A WARN: the exit code stays 0.
      expect(run.code).toBe(0);
      expect(run.stdout).not.toContain(user.password);
      expect(run.stdout).not.toContain('127.0.0.2');
      expect(run.stdout).not.toContain('phone');
      const sessions = await client.get('/api/sessions');
      expect(sessions.json<{ current: boolean; ip: string }[]>().map((session) => [session.current, session.ip])).toEqual([
        [true, '127.0.0.1'],
        [false, '127.0.0.2'],
      ]);
    });

    it('takes the password from DOCTOR_PASSWORD or standard input (--password -), with no warning', async () => {
      const { user } = await signedInClient(target);
      const fromEnv = await doctor([...urlArgs(target.stack!), '--email', user.email], { DOCTOR_PASSWORD: user.password });
      const fromStdin = await doctor([...urlArgs(target.stack!), '--email', user.email, '--password', '-'], {}, `${user.password}\n`);
      for (const run of [fromEnv, fromStdin]) {
        expect(codes(run)).toEqual(allPass(...range(1, 16), 18));
        expect(run.lines).toContain(`PASS GH-U005 signed in as ${user.email} — nothing to do`);
        expect(run.code).toBe(0);
        expect(run.stdout).not.toContain(user.password);
      }
    });

    it("passes the stack's own configuration (config mode)", async () => {
      const run = await doctor([], target.stack!.appEnv);
      expect(codes(run)).toEqual(range(1, 11).map((n) => `PASS GH-C${String(n).padStart(3, '0')}`));
      expect(run.code).toBe(0);
      expect(run.stdout).not.toContain(target.stack!.appEnv.SESSION_SECRET);
      expect(run.stdout).not.toContain(target.stack!.appEnv.DATA_ENCRYPTION_KEY);
    });

    it('names a proxy that sends no HSTS and serves plain http instead of redirecting', async () => {
      const proxy = await brokenProxy(target.stack!, { hsts: false, redirect: false, appendForwardedFor: false });
      try {
        const run = await doctor(urlArgs(target.stack!, proxy.url, proxy.httpUrl));
        expect(run.lines).toEqual(
          expect.arrayContaining([
            `FAIL GH-U002 ${proxy.httpUrl} answered 200 instead of redirecting to HTTPS: the site is served over plain http — redirect every plain-http request to https on the same host with the path and query kept (nginx: return 308 https://$host$request_uri;)`,
            'FAIL GH-U003 no Strict-Transport-Security on HTTPS responses: a browser sent to an http:// link goes there first, in clear, where the connection can be taken over — add it at the proxy on every HTTPS response (nginx: add_header Strict-Transport-Security "max-age=31536000" always;)',
          ]),
        );
        expect(codes(run)).toEqual(['PASS GH-U001', 'FAIL GH-U002', 'FAIL GH-U003', ...allPass(...range(4, 16), 18)]);
        expect(run.code).toBe(1);
      } finally {
        await proxy.close();
      }
    });

    it('refuses SameSite=None without Secure in config mode, as the app refuses to start', async () => {
      const run = await doctor([], { ...target.stack!.appEnv, NODE_ENV: 'development', SESSION_COOKIE_SAMESITE: 'none' });
      expect(run.lines).toEqual([
        'FAIL GH-C001 the app refuses to start: SESSION_COOKIE_SAMESITE: none requires SESSION_COOKIE_SECURE=true (browsers drop it otherwise) — set SESSION_COOKIE_SAMESITE=lax (the default); none only with SESSION_COOKIE_SECURE=true over HTTPS',
        'Summary: 0 pass, 0 warn, 1 fail, 10 not run (the app would not start)',
      ]);
      expect(run.code).toBe(1);
    });
  });

  describe('TRUST_PROXY=false behind nginx', () => {
    let target: Target;
    beforeAll(async () => {
      target = await startTarget({ TRUST_PROXY: 'false' });
    });
    afterAll(async () => {
      await stopTarget(target);
    });

    it('from outside: the app answers 201 to register and sends no cookie', async () => {
      const run = await doctor(urlArgs(target.stack!));
      expect(run.lines).toContain(
        "FAIL GH-U006 the app answered 201 to register but sent no cookie: it does not see HTTPS — set TRUST_PROXY to your proxy's address as the app sees it (or the number of proxies in front), and make the proxy set X-Forwarded-Proto",
      );
      expect(run.lines.find((line) => line.startsWith('WARN GH-U016'))).toMatch(
        /^WARN GH-U016 the throwaway account (doctor-[0-9a-f]{12}@example\.com) is left behind: without a cookie the doctor cannot sign in to delete it — delete it in Postgres: DELETE FROM users WHERE email = '\1';$/,
      );
      expect(codes(run)).toEqual([...allPass(...range(1, 5)), 'FAIL GH-U006', 'WARN GH-U016', 'PASS GH-U018']);
      expect(run.lines.at(-1)).toBe('Summary: 6 pass, 1 warn, 1 fail, 9 not run (no session cookie)');
      expect(run.code).toBe(1);
    });

    it('from inside: Secure cookies with no trusted proxy', async () => {
      const run = await doctor([], target.stack!.appEnv);
      expect(run.lines).toContain(
        "FAIL GH-C004 SESSION_COOKIE_SECURE is on but TRUST_PROXY trusts no proxy: the app (plain http behind the TLS proxy) never sees HTTPS, so login answers 200 and sends no cookie — set TRUST_PROXY to your proxy's address as the app sees it (compose: nginx's address; npm run stack: 127.0.0.1)",
      );
      expect(run.code).toBe(1);
    });
  });

  describe('TRUST_PROXY=2, more hops than the proxy in front', () => {
    let target: Target;
    beforeAll(async () => {
      target = await startTarget({ TRUST_PROXY: '2' });
    });
    afterAll(async () => {
      await stopTarget(target);
    });

    it('behind a proxy that appends to X-Forwarded-For, a forged address is believed', async () => {
      const proxy = await brokenProxy(target.stack!, { hsts: true, redirect: true, appendForwardedFor: true });
      try {
        const run = await doctor(urlArgs(target.stack!, proxy.url, proxy.httpUrl));
        expect(run.lines).toContain(
          "FAIL GH-U015 the app recorded 203.0.113.77, sent by the doctor as X-Forwarded-For, as its address: a client picks its own address (and dodges the per-address limits) — make the proxy set X-Forwarded-Proto and X-Forwarded-For itself instead of passing on the client's (nginx: proxy_set_header X-Forwarded-For $remote_addr;), and set TRUST_PROXY to that proxy's address, not a hop count larger than the proxies in front",
        );
        expect(codes(run)).toEqual([...allPass(...range(1, 14)), 'FAIL GH-U015', 'PASS GH-U016', 'PASS GH-U018']);
        expect(run.code).toBe(1);
      } finally {
        await proxy.close();
      }
    });

    it('nginx, which sets X-Forwarded-For itself, hides the forgery; config mode warns about the hop count', async () => {
      expect(codes(await doctor(urlArgs(target.stack!)))).toEqual(allPass(...range(1, 16), 18));
      const run = await doctor([], target.stack!.appEnv);
      expect(run.lines).toContain(
        "WARN GH-C003 TRUST_PROXY=2 trusts 2 proxy hops: unless 2 proxies in front each set X-Forwarded-For, a client chooses its own address (and dodges per-address limits) — set TRUST_PROXY to your proxy's address as the app sees it, or to the exact number of proxies in front (1 behind one nginx)",
      );
      expect(run.code).toBe(0);
    });
  });

  describe('SESSION_COOKIE_DOMAIN that is not the host', () => {
    let target: Target;
    beforeAll(async () => {
      // With a Domain the app's default name is __Secure-sid (a __Host- cookie may have none).
      target = await startTarget({ SESSION_COOKIE_DOMAIN: 'example.com' });
    });
    afterAll(async () => {
      await stopTarget(target);
    });

    it('the browser drops the cookie, so it comes back to no request', async () => {
      const run = await doctor(urlArgs(target.stack!));
      expect(run.lines).toEqual(
        expect.arrayContaining([
          "FAIL GH-U011 the cookie's Domain=example.com does not match localhost: the browser drops the cookie, so no request carries it — unset SESSION_COOKIE_DOMAIN (a host-only cookie), or set it to localhost or a parent domain of it",
          'FAIL GH-U013 a browser refuses the cookie (its Domain=example.com does not match localhost), so the next request is not signed in — fix the cookie check that failed above',
        ]),
      );
      expect(codes(run)).toEqual([...allPass(...range(1, 10)), 'FAIL GH-U011', 'PASS GH-U012', 'FAIL GH-U013', ...allPass(14, 15, 16, 18)]);
      expect(run.code).toBe(1);
    });
  });

  describe('WEBAUTHN_RP_ID that is not the host', () => {
    let target: Target;
    beforeAll(async () => {
      target = await startTarget({ WEBAUTHN_RP_ID: 'example.com' });
    });
    afterAll(async () => {
      await stopTarget(target);
    });

    it('from outside and from inside: every passkey ceremony fails in the browser before it reaches the app', async () => {
      const outside = await doctor(urlArgs(target.stack!));
      expect(outside.lines).toContain(
        `FAIL GH-U018 the passkey options name RP id example.com, but the deployment is reached at localhost: every passkey ceremony fails in the browser (SecurityError) before it reaches the app — set WEBAUTHN_RP_ID to localhost or a parent domain of it, or unset it with PUBLIC_ORIGIN=${target.baseUrl} (the RP id defaults to its host)`,
      );
      expect(codes(outside)).toEqual([...allPass(...range(1, 16)), 'FAIL GH-U018']);
      expect(outside.code).toBe(1);

      const inside = await doctor([], target.stack!.appEnv);
      expect(inside.lines).toContain(
        `FAIL GH-C011 WEBAUTHN_RP_ID example.com is neither localhost (the host of ${target.baseUrl}) nor a parent domain of it: every passkey ceremony fails in the browser (SecurityError) before it reaches the app — unset WEBAUTHN_RP_ID (it defaults to the host of PUBLIC_ORIGIN), or set it to that host or a parent domain of it`,
      );
      expect(inside.code).toBe(1);
    });
  });

  describe('SESSION_COOKIE_PATH narrower than the pages', () => {
    let target: Target;
    beforeAll(async () => {
      // A __Host- cookie must have Path=/: the name is adjusted so the app starts.
      target = await startTarget({ SESSION_COOKIE_PATH: '/api', SESSION_COOKIE_NAME: '__Secure-sid' });
    });
    afterAll(async () => {
      await stopTarget(target);
    });

    it('the API is signed in, the pages are not', async () => {
      const run = await doctor(urlArgs(target.stack!));
      expect(run.lines).toContain(
        "FAIL GH-U012 the cookie's Path=/api is narrower than the app at /: pages outside /api (e.g. /profile) are signed out — unset SESSION_COOKIE_PATH (it defaults to /)",
      );
      expect(codes(run)).toEqual([...allPass(...range(1, 11)), 'FAIL GH-U012', ...allPass(...range(13, 16), 18)]);
      expect(run.code).toBe(1);
    });

    it('outside the path a request has no session: signed out, not a 500, and /healthz answers', async () => {
      const { baseUrl, ca } = target;
      expect((await request(baseUrl, { path: '/healthz', ca })).status).toBe(200);
      const page = await request(baseUrl, { path: '/profile', ca });
      expect([page.status, page.headers.location]).toEqual([303, '/login']);
    });
  });

  describe('the app under a sub-path', () => {
    it('with the default cookie path: the cookie covers the whole host', async () => {
      const target = await startTarget({}, { basePath: '/app' });
      try {
        const run = await doctor(urlArgs(target.stack!, `${target.baseUrl}/app`));
        expect(run.lines).toContain(
          "FAIL GH-U012 the cookie's Path=/ is wider than the app at /app: every other app under / on localhost receives the session cookie, and one using the same cookie name overwrites it — make the proxy that serves the app under /app scope the cookie to it (nginx: proxy_cookie_path / /app;), with SESSION_COOKIE_NAME=__Secure-sid (a __Host- cookie must have Path=/)",
        );
        expect(codes(run)).toEqual([...allPass(...range(1, 11)), 'FAIL GH-U012', ...allPass(...range(13, 16), 18)]);
        expect(run.code).toBe(1);
      } finally {
        await stopTarget(target);
      }
    });

    it('with the fix the doctor names, every check passes', async () => {
      const target = await startTarget({ SESSION_COOKIE_NAME: '__Secure-sid' }, { basePath: '/app', scopeCookieToBasePath: true });
      try {
        const run = await doctor(urlArgs(target.stack!, `${target.baseUrl}/app`));
        expect(codes(run)).toEqual(allPass(...range(1, 16), 18));
        expect(run.code).toBe(0);
      } finally {
        await stopTarget(target);
      }
    });
  });
});
