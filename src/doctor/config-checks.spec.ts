import { describe, expect, it } from '@jest/globals';
import { configChecks, weakSecret } from './config-checks.js';

const SECRET = '3f9c1a7be24d8065f1c3a9e7b5d20486ac1f3e9b7d5c2a08';
const healthy = {
  NODE_ENV: 'production',
  DATABASE_URL: 'postgres://gatehouse@db:5432/gatehouse',
  REDIS_URL: 'redis://redis:6379',
  SMTP_URL: 'smtp://mail:1025',
  SESSION_SECRET: SECRET,
  PUBLIC_ORIGIN: 'https://example.com',
  TRUST_PROXY: '10.0.0.2',
};

/** The lines of the checks that are not PASS, without the fix. */
function problems(env: Record<string, string>): string[] {
  return configChecks(env)
    .checks.filter((check) => check.status !== 'PASS')
    .map((check) => `${check.status} ${check.code} ${check.what}`);
}

describe('configChecks', () => {
  it('passes a production configuration behind one proxy, every check', () => {
    const report = configChecks(healthy);
    expect(report.checks.map((check) => `${check.status} ${check.code}`)).toEqual(
      ['C001', 'C002', 'C003', 'C004', 'C005', 'C006', 'C007', 'C008', 'C009'].map((code) => `PASS GH-${code}`),
    );
    expect(report.failed).toBe(false);
  });

  it('reports every start-up problem as GH-C001 with its variable and fix, and never a value', () => {
    const report = configChecks({
      ...healthy,
      SESSION_SECRET: 'short-secret',
      SESSION_COOKIE_SAMESITE: 'none',
      SESSION_COOKIE_SECURE: 'false',
    });
    expect(report.text()).toBe(
      [
        'FAIL GH-C001 the app refuses to start: SESSION_SECRET: every secret must be at least 32 characters in production — set SESSION_SECRET to a random string of at least 32 characters (openssl rand -hex 32)',
        'FAIL GH-C001 the app refuses to start: SESSION_COOKIE_SECURE: must be true in production (the app is served over HTTPS) — set SESSION_COOKIE_SECURE=true (the default in production) and serve the app over HTTPS',
        'FAIL GH-C001 the app refuses to start: SESSION_COOKIE_SAMESITE: none requires SESSION_COOKIE_SECURE=true (browsers drop it otherwise) — set SESSION_COOKIE_SAMESITE=lax (the default); none only with SESSION_COOKIE_SECURE=true over HTTPS',
        'Summary: 0 pass, 0 warn, 3 fail, 8 not run (the app would not start)',
        '',
      ].join('\n'),
    );
    expect(report.failed).toBe(true);
    expect(report.text()).not.toContain('short-secret');
  });

  it.each([
    [
      'NODE_ENV not production',
      { NODE_ENV: 'development' },
      [
        'WARN GH-C002 NODE_ENV is development, not production: short secrets, cookies without Secure and a missing PUBLIC_ORIGIN are accepted',
      ],
    ],
    [
      'a hop count above one',
      { TRUST_PROXY: '2' },
      [
        'WARN GH-C003 TRUST_PROXY=2 trusts 2 proxy hops: unless 2 proxies in front each set X-Forwarded-For, a client chooses its own address (and dodges per-address limits)',
      ],
    ],
    [
      'Secure cookies and no trusted proxy',
      { TRUST_PROXY: 'false' },
      [
        'FAIL GH-C004 SESSION_COOKIE_SECURE is on but TRUST_PROXY trusts no proxy: the app (plain http behind the TLS proxy) never sees HTTPS, so login answers 200 and sends no cookie',
      ],
    ],
    [
      'a repeated secret',
      { SESSION_SECRET: 'abcd1234'.repeat(5) },
      ['WARN GH-C005 SESSION_SECRET is one short string repeated: whoever guesses it can sign session cookies'],
    ],
    [
      'a dictionary secret among two',
      { SESSION_SECRET: `${SECRET},my-super-long-session-secret-for-prod` },
      [
        'WARN GH-C005 SESSION_SECRET (entry 2 of 2) contains a common word (secret, password, changeme, …): whoever guesses it can sign session cookies',
      ],
    ],
    [
      'a secret of words',
      { SESSION_SECRET: 'correct horse battery staple again' },
      ['WARN GH-C005 SESSION_SECRET is made of words only: whoever guesses it can sign session cookies'],
    ],
    [
      'an idle timeout over an hour',
      { SESSION_IDLE_TIMEOUT: '2h' },
      ['WARN GH-C006 SESSION_IDLE_TIMEOUT is 2h: a session left open on a shared computer stays usable for over an hour'],
    ],
    [
      'remember-me over 30 days',
      { SESSION_REMEMBER_TIMEOUT: '45d' },
      ['WARN GH-C007 SESSION_REMEMBER_TIMEOUT is 45d: a stolen remember-me cookie works for over 30 days'],
    ],
    [
      'SameSite=None',
      { SESSION_COOKIE_SAMESITE: 'none' },
      [
        'WARN GH-C008 SESSION_COOKIE_SAMESITE=none: browsers send the session cookie with requests from every other site, so only the Origin check stands against CSRF',
      ],
    ],
    [
      'smtp:// to a remote host',
      { SMTP_URL: 'smtp://user:pw@mail.example.net:25' },
      [
        'WARN GH-C009 SMTP_URL is smtp:// to mail.example.net, which is not local: reset links and any SMTP password may cross the network unencrypted',
      ],
    ],
  ])('%s', (_case, env, expected) => {
    expect(problems({ ...healthy, ...env })).toEqual(expected);
  });

  it.each([
    ['smtp:// to a compose service', 'smtp://mail:1025'],
    ['smtp:// to loopback', 'smtp://127.0.0.1:1025'],
    ['smtp:// to a private address', 'smtp://10.1.2.3:25'],
    ['smtps:// anywhere', 'smtps://user:pw@smtp.example.net:465'],
  ])('passes %s', (_case, SMTP_URL) => {
    const report = configChecks({ ...healthy, SMTP_URL });
    expect(report.checks.find((check) => check.code === 'GH-C009')?.status).toBe('PASS');
    expect(report.text()).not.toContain('pw@');
  });
});

describe('weakSecret', () => {
  it.each([
    ['a1b2c3d4e5f6a7b8c9d0e1f2a3b4c5d6', undefined],
    ['Zq8-xW3_kP0vR7nT2mY5bL9cJ4hG6fD1', undefined],
    ['aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa', 'is one short string repeated'],
    ['x7Kq2_x7Kq2_x7Kq2_x7Kq2_x7Kq2_x7Kq2_', 'is one short string repeated'],
    ['ababababababcdcdcdcdcdcd1212121212', 'uses fewer than 8 different characters'],
    ['keyboard cat keyboard cat dog mouse', 'contains a common word (secret, password, changeme, …)'],
    ['ChangeMe-in-production-2024-please!', 'contains a common word (secret, password, changeme, …)'],
  ])('judges %s', (secret, why) => {
    expect(weakSecret(secret)).toBe(why);
  });
});
