import { randomBytes } from 'node:crypto';
import { describe, expect, it } from '@jest/globals';
import { dataKeyId } from '../crypto/data-encryption.js';
import { configChecks, weakDataKey, weakSecret } from './config-checks.js';

const SECRET = '3f9c1a7be24d8065f1c3a9e7b5d20486ac1f3e9b7d5c2a08';
const KEY = 'q0Lx5aW2nV8mT4rYc7HbK1pJ9sD3fG6zQ2uE5iO8wXo=';
const healthy = {
  NODE_ENV: 'production',
  DATABASE_URL: 'postgres://gatehouse@db:5432/gatehouse',
  REDIS_URL: 'redis://redis:6379',
  SMTP_URL: 'smtp://mail:1025',
  SESSION_SECRET: SECRET,
  DATA_ENCRYPTION_KEY: KEY,
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
      ['C001', 'C002', 'C003', 'C004', 'C005', 'C006', 'C007', 'C008', 'C009', 'C010', 'C011'].map((code) => `PASS GH-${code}`),
    );
    expect(report.failed).toBe(false);
    expect(report.checks.find((check) => check.code === 'GH-C010')?.what).toBe(
      `DATA_ENCRYPTION_KEY looks random (1 key; new data under key id ${dataKeyId(Buffer.from(KEY, 'base64'))})`,
    );
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
        'Summary: 0 pass, 0 warn, 3 fail, 10 not run (the app would not start)',
        '',
      ].join('\n'),
    );
    expect(report.failed).toBe(true);
    expect(report.text()).not.toContain('short-secret');
  });

  it.each([
    ['missing', { DATA_ENCRYPTION_KEY: '' }, 'DATA_ENCRYPTION_KEY: is required'],
    [
      'not 32 bytes',
      { DATA_ENCRYPTION_KEY: 'not-a-key-but-a-passphrase' },
      'DATA_ENCRYPTION_KEY: every key must be 32 random bytes, written as 64 hex digits or in base64',
    ],
    [
      'the session secret',
      { SESSION_SECRET: `${SECRET},${KEY}` },
      'DATA_ENCRYPTION_KEY: must not be a SESSION_SECRET entry: give each its own random value',
    ],
  ])('fails a data encryption key that is %s as GH-C001, with the fix and without the value', (_case, env, problem) => {
    const report = configChecks({ ...healthy, ...env });
    expect(report.checks.filter((check) => check.status === 'FAIL')).toEqual([
      {
        status: 'FAIL',
        code: 'GH-C001',
        what: `the app refuses to start: ${problem}`,
        fix: 'set DATA_ENCRYPTION_KEY to 32 random bytes (openssl rand -base64 32), never the session secret; to rotate, put a new key first and keep the old ones after it',
      },
    ]);
    expect(report.text()).not.toContain(KEY);
    expect(report.text()).not.toContain('not-a-key-but-a-passphrase');
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
    [
      'a data encryption key of one repeated byte',
      { DATA_ENCRYPTION_KEY: '00'.repeat(32) },
      [
        'WARN GH-C010 DATA_ENCRYPTION_KEY is a pattern (few different bytes, or a counting sequence): whoever guesses it can decrypt the stored TOTP secrets',
      ],
    ],
    [
      'a data encryption key of text, behind a good one',
      { DATA_ENCRYPTION_KEY: `${KEY},${Buffer.from('the thirty-two bytes of my key!!').toString('base64')}` },
      [
        'WARN GH-C010 DATA_ENCRYPTION_KEY (entry 2 of 2) is text (a phrase encoded as a key), not random bytes: whoever guesses it can decrypt the stored TOTP secrets',
      ],
    ],
    [
      'a WEBAUTHN_RP_ID of another domain',
      { WEBAUTHN_RP_ID: 'example.org' },
      [
        'FAIL GH-C011 WEBAUTHN_RP_ID example.org is neither example.com (the host of https://example.com) nor a parent domain of it: every passkey ceremony fails in the browser (SecurityError) before it reaches the app',
      ],
    ],
    [
      'a WEBAUTHN_RP_ID of a subdomain',
      { WEBAUTHN_RP_ID: 'login.example.com' },
      [
        'FAIL GH-C011 WEBAUTHN_RP_ID login.example.com is neither example.com (the host of https://example.com) nor a parent domain of it: every passkey ceremony fails in the browser (SecurityError) before it reaches the app',
      ],
    ],
    [
      'a PUBLIC_ORIGIN on an IP address',
      { PUBLIC_ORIGIN: 'https://192.0.2.10' },
      ['WARN GH-C011 https://192.0.2.10 is an IP address: browsers offer passkeys only on a domain name: the passkey buttons will fail'],
    ],
  ])('%s', (_case, env, expected) => {
    expect(problems({ ...healthy, ...env })).toEqual(expected);
  });

  it('GH-C011 names the fix of an RP id that cannot work, and passes the host or a parent domain of it', () => {
    const line = (env: Record<string, string>) =>
      configChecks({ ...healthy, ...env })
        .text()
        .split('\n')
        .find((text) => text.includes('GH-C011'));
    expect(line({ WEBAUTHN_RP_ID: 'example.org' })).toMatch(
      / — unset WEBAUTHN_RP_ID \(it defaults to the host of PUBLIC_ORIGIN\), or set it to that host or a parent domain of it$/,
    );
    expect(line({})).toBe('PASS GH-C011 WEBAUTHN_RP_ID example.com is the host of https://example.com — nothing to do');
    expect(line({ PUBLIC_ORIGIN: 'https://login.example.com', WEBAUTHN_RP_ID: 'example.com' })).toBe(
      'PASS GH-C011 WEBAUTHN_RP_ID example.com is a parent domain of the host of https://login.example.com — nothing to do',
    );
    expect(line({ NODE_ENV: 'development', PUBLIC_ORIGIN: '' })).toBe(
      "PASS GH-C011 WEBAUTHN_RP_ID localhost is the host of http://localhost:3000 (PUBLIC_ORIGIN is unset: the app's own http://localhost:3000) — nothing to do",
    );
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

describe('weakDataKey', () => {
  const counting = Buffer.from(Array.from({ length: 32 }, (_, i) => i));
  it.each([
    ['32 random bytes', randomBytes(32), undefined],
    ['all zero', Buffer.alloc(32), 'is a pattern (few different bytes, or a counting sequence)'],
    [
      'a short pattern repeated',
      Buffer.from('0123456789abcdef'.repeat(4), 'hex'),
      'is a pattern (few different bytes, or a counting sequence)',
    ],
    ['a counting sequence', counting, 'is a pattern (few different bytes, or a counting sequence)'],
    ['counting down in threes', counting.map((i) => 250 - 3 * i), 'is a pattern (few different bytes, or a counting sequence)'],
    ['text', Buffer.from('Gatehouse encrypts with this key'), 'is text (a phrase encoded as a key), not random bytes'],
  ])('judges %s', (_case, key, why) => {
    expect(weakDataKey(Buffer.from(key))).toBe(why);
  });

  it('finds a thousand generated keys random', () => {
    const weak = Array.from({ length: 1000 }, () => randomBytes(32)).filter((key) => weakDataKey(key) !== undefined);
    expect(weak).toEqual([]);
  });
});
