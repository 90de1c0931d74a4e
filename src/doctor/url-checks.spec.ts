import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Report } from './report.js';
import { checkForwardedFor, checkPasskeyRpId, urlChecks } from './url-checks.js';

describe('GH-U015 on a real account (--email)', () => {
  const sessions = [
    { current: true, ip: '127.0.0.1', userAgent: 'gatehouse-doctor' },
    { current: false, ip: '127.0.0.1', userAgent: 'gatehouse-doctor' },
    { current: false, ip: '198.51.100.23', userAgent: 'Safari on iPhone' },
    { current: false, ip: '2001:db8::7', userAgent: 'Firefox on Linux' },
  ];

  it("names only the doctor's own session's address, and how many sessions there are", () => {
    const report = new Report();
    checkForwardedFor(report, sessions);
    expect(report.text()).toBe(
      [
        "PASS GH-U015 a client-sent X-Forwarded-For was not believed (none of the account's 4 sessions records 203.0.113.77; the doctor's own session records 127.0.0.1) — nothing to do",
        'Summary: 1 pass, 0 warn, 0 fail',
        '',
      ].join('\n'),
    );
    for (const other of ['198.51.100.23', '2001:db8::7', 'Safari', 'Firefox']) {
      expect(report.text()).not.toContain(other);
      expect(report.json()).not.toContain(other);
    }
  });

  it('fails on the forged address, naming no other', () => {
    const report = new Report();
    checkForwardedFor(report, [...sessions, { current: false, ip: '203.0.113.77', userAgent: 'gatehouse-doctor' }]);
    expect(report.checks.map((check) => `${check.status} ${check.code}`)).toEqual(['FAIL GH-U015']);
    expect(report.text()).not.toContain('198.51.100.23');
  });
});

describe('GH-U018, the RP id of the passkey options', () => {
  const options = (rpId: unknown) => ({
    status: 200,
    headers: {},
    setCookies: [],
    body: JSON.stringify({ rpId, challenge: 'AAAA', timeout: 300000, userVerification: 'required' }),
  });
  const line = (answer: Parameters<typeof checkPasskeyRpId>[1], url = 'https://login.example.com') => {
    const report = new Report();
    checkPasskeyRpId(report, answer, new URL(url));
    return report.text().split('\n')[0];
  };

  it('passes the host the URL names, or a parent domain of it', () => {
    expect(line(options('login.example.com'))).toBe(
      'PASS GH-U018 the passkey options name RP id login.example.com, the host the URL names — nothing to do',
    );
    expect(line(options('example.com'))).toBe(
      'PASS GH-U018 the passkey options name RP id example.com, a parent domain of the host the URL names — nothing to do',
    );
  });

  it('fails any other, with the fix', () => {
    expect(line(options('localhost'))).toBe(
      'FAIL GH-U018 the passkey options name RP id localhost, but the deployment is reached at login.example.com: every passkey ceremony fails in the browser (SecurityError) before it reaches the app — set WEBAUTHN_RP_ID to login.example.com or a parent domain of it, or unset it with PUBLIC_ORIGIN=https://login.example.com (the RP id defaults to its host)',
    );
    expect(line(options('other.example.com'))).toMatch(/^FAIL GH-U018 /);
    expect(line(options('com'))).toMatch(/^FAIL GH-U018 /);
  });

  it('warns of an IP address, and when it could not look', () => {
    expect(line(options('192.0.2.10'), 'https://192.0.2.10:8443')).toMatch(/^WARN GH-U018 https:\/\/192\.0\.2\.10:8443 is an IP address/);
    expect(line({ status: 404, headers: {}, setCookies: [], body: '{"message":"Cannot POST /api/auth/passkey/options"}' })).toBe(
      'WARN GH-U018 not checked: POST /api/auth/passkey/options answered 404 (Cannot POST /api/auth/passkey/options), a Gatehouse without passkeys — nothing to do unless it should offer passkeys',
    );
    expect(line({ status: 429, headers: {}, setCookies: [], body: '{"message":"Too many requests"}' })).toMatch(
      /^WARN GH-U018 not checked: /,
    );
    expect(line(new Error('socket hang up'))).toMatch(/^WARN GH-U018 not checked: .* answered socket hang up/);
    expect(line(options(undefined))).toMatch(/^WARN GH-U018 not checked: the passkey options .* name no RP id/);
  });
});

/** A self-signed certificate for 127.0.0.1, made by openssl as the stack harness makes its own. */
function certificate(dir: string): { cert: Buffer; key: Buffer } {
  // prettier-ignore
  execFileSync('openssl', [
    'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-days', '1',
    '-keyout', path.join(dir, 'key.pem'), '-out', path.join(dir, 'cert.pem'),
    '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1',
  ], { stdio: 'ignore' });
  return { cert: readFileSync(path.join(dir, 'cert.pem')), key: readFileSync(path.join(dir, 'key.pem')) };
}

function listen(server: http.Server): Promise<string> {
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(String((server.address() as AddressInfo).port))));
}

const close = (server: http.Server) => new Promise((resolve) => server.close(resolve));

/**
 * ESC (CSI, OSC), carriage return, BEL, DEL, C1 CSI and a bidi override: each could clear the
 * terminal, rewrite a line or reorder it. A header cannot carry C0 (Node's parser refuses it),
 * but a byte 0x9b arrives as the C1 CSI U+009B.
 */
const HOSTILE = '\u001b[2J\u001b]0;owned\u0007\rPASS GH-U013 all fine\u007f\u009b31m\u202e';
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u202e]/;
const unprintableLines = (output: string) => output.split('\n').filter((line) => CONTROL.test(line));

describe('a hostile deployment', () => {
  let dir: string;
  let secure: https.Server;
  let plain: http.Server;
  let url: URL;
  let httpUrl: URL;

  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'doctor-hostile-'));
    const json = (res: http.ServerResponse, status: number, body: unknown) =>
      void res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
    secure = https.createServer(certificate(dir), (req, res) => {
      const route = `${req.method} ${req.url}`;
      req.resume();
      if (route === 'GET /healthz') {
        return void res.writeHead(200, { 'strict-transport-security': 'max-age=31536000' }).end('{"status":"ok"}');
      }
      if (route === 'POST /api/auth/register') {
        // Header values are latin1: the name carries a C1 CSI.
        return void res.writeHead(201, { 'set-cookie': '__Host-sid\u009b2J=v; Path=/; Secure; HttpOnly; SameSite=Lax\u009b2J' }).end('{}');
      }
      if (route === 'GET /api/profile') return json(res, 500, { message: HOSTILE });
      if (route === 'POST /api/auth/login') return json(res, 503, { message: [HOSTILE, 'twice'] });
      json(res, 500, { message: HOSTILE });
    });
    // A Location that is no URL at all (an unclosed IPv6 bracket), with a C1 CSI in it.
    plain = http.createServer((_req, res) => void res.writeHead(308, { location: 'http://[\u009b2J' }).end());
    url = new URL(`https://127.0.0.1:${await listen(secure)}`);
    httpUrl = new URL(`http://127.0.0.1:${await listen(plain)}`);
  });

  afterAll(async () => {
    await Promise.all([close(secure), close(plain)]);
    rmSync(dir, { recursive: true, force: true });
  });

  it('prints none of the control characters it sent, in text or JSON, and says something odd was there', async () => {
    const report = await urlChecks({ url, httpUrl, insecure: true });
    const text = report.text();
    expect(report.checks.map((check) => `${check.status} ${check.code}`)).toEqual([
      'PASS GH-U001',
      'FAIL GH-U002',
      'PASS GH-U003',
      'PASS GH-U004',
      'PASS GH-U005',
      'PASS GH-U006',
      'PASS GH-U007',
      'PASS GH-U008',
      'PASS GH-U009',
      'WARN GH-U010',
      'PASS GH-U011',
      'PASS GH-U012',
      'FAIL GH-U013',
      'WARN GH-U014',
      'WARN GH-U015',
      'WARN GH-U016',
      'WARN GH-U018',
    ]);
    expect(unprintableLines(text)).toEqual([]);
    expect(text).toContain(
      `FAIL GH-U013 the cookie came back but GET /api/profile answered 500 (\ufffd[2J\ufffd]0;owned\ufffd\ufffdPASS GH-U013 all fine\ufffd\ufffd31m\ufffd)`,
    );
    expect(text).toContain(`PASS GH-U006 the app set the session cookie __Host-sid\ufffd2J on register`);
    expect(text).toContain(`FAIL GH-U002 ${httpUrl.href}doctor-probe?from=http redirects to http://[\ufffd2J, which is not a URL`);

    const json = report.json();
    expect(unprintableLines(json)).toEqual([]);
    // JSON writes ESC as \u001b: decoded and printed by a CI step, that is ESC again.
    expect(json).not.toMatch(/\\u00[01][0-9a-f]/i);
  });
});

describe('GH-U017, the password on the command line', () => {
  let nowhere: URL;
  beforeAll(async () => {
    // A port nothing listens on: GH-U001 fails at once, and GH-U017 still comes.
    const server = http.createServer();
    nowhere = new URL(`https://127.0.0.1:${await listen(server)}`);
    await close(server);
  });

  it('is a WARN with the other ways to pass it, so it never changes the exit code', async () => {
    const report = await urlChecks({ url: nowhere, email: 'ada@example.com', password: 'pw', passwordFrom: 'command line' });
    expect(report.checks.at(-1)).toEqual({
      status: 'WARN',
      code: 'GH-U017',
      what: 'the password was given on the command line: other users of this machine can read it in the process list, and the shell keeps it in its history',
      fix: 'pipe it in with --password - (e.g. from a password manager), or set DOCTOR_PASSWORD in the environment: read -rs DOCTOR_PASSWORD && export DOCTOR_PASSWORD',
    });
  });

  it.each(['environment', 'standard input'] as const)('is not printed when the password came from: %s', async (passwordFrom) => {
    const report = await urlChecks({ url: nowhere, email: 'ada@example.com', password: 'pw', passwordFrom });
    expect(report.checks.map((check) => check.code)).toEqual(['GH-U001']);
  });
});

describe('GH-U005 with --email of an account that has two-step sign-in on', () => {
  let dir: string;
  let secure: https.Server;
  let url: URL;
  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'doctor-two-step-'));
    secure = https.createServer(certificate(dir), (req, res) => {
      req.resume();
      const route = `${req.method} ${req.url}`;
      if (route === 'GET /healthz') return void res.writeHead(200, { 'strict-transport-security': 'max-age=31536000' }).end('{}');
      if (route === 'POST /api/auth/login') return void res.writeHead(202).end('{"secondFactorRequired":true,"methods":["totp"]}');
      res.writeHead(404).end('{}');
    });
    url = new URL(`https://127.0.0.1:${await listen(secure)}`);
  });
  afterAll(async () => {
    await close(secure);
    rmSync(dir, { recursive: true, force: true });
  });

  it('says why the doctor cannot sign in with it, rather than "refused"', async () => {
    const report = await urlChecks({ url, insecure: true, email: 'ada@example.com', password: 'pw', passwordFrom: 'environment' });
    expect(report.checks.find((check) => check.code === 'GH-U005')).toEqual({
      status: 'FAIL',
      code: 'GH-U005',
      what: 'POST /api/auth/login answered 202: that account has two-step sign-in on, and the doctor does not sign in with a second factor',
      fix: 'give --email of an account without two-step sign-in, or leave out --email and --password (a throwaway account)',
    });
  });
});
