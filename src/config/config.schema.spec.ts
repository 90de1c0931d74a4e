import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from '@jest/globals';
import { CONFIG_VARIABLES, configFix, parseConfig } from './config.schema.js';

const SECRET = 'a'.repeat(40);
const KEY = Buffer.from('00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff', 'hex');
const OLD_KEY = Buffer.alloc(32, 7);
const base = {
  DATABASE_URL: 'postgres://u@localhost/db',
  REDIS_URL: 'redis://localhost:6379',
  SESSION_SECRET: SECRET,
  SMTP_URL: 'smtp://localhost:1025',
  DATA_ENCRYPTION_KEY: KEY.toString('base64'),
};
const production = { ...base, NODE_ENV: 'production', PUBLIC_ORIGIN: 'https://example.com' };

function problemsOf(env: Record<string, string>): string[] {
  const result = parseConfig(env);
  return result.ok ? [] : result.problems;
}

describe('parseConfig', () => {
  it('applies the documented defaults', () => {
    const result = parseConfig(base);
    expect(result).toEqual({
      ok: true,
      config: {
        nodeEnv: 'development',
        port: 3000,
        host: '0.0.0.0',
        databaseUrl: base.DATABASE_URL,
        redisUrl: base.REDIS_URL,
        redisPassword: undefined,
        redisSentinels: undefined,
        redisSentinelMaster: 'gatehouse',
        redisTls: false,
        trustProxy: false,
        publicOrigin: undefined,
        passwordMinLength: 12,
        registrationsPerAddress: 20,
        logLevel: 'info',
        mail: {
          smtpUrl: base.SMTP_URL,
          from: 'Gatehouse <no-reply@localhost>',
          linkOrigin: 'http://localhost:3000',
          passwordResetTtlMs: 30 * 60_000,
          emailVerifyTtlMs: 24 * 3_600_000,
        },
        requireVerifiedEmail: false,
        dataEncryptionKeys: [KEY],
        totpIssuer: 'Gatehouse',
        webauthn: { rpId: 'localhost', rpName: 'Gatehouse' },
        session: {
          secrets: [SECRET],
          cookie: { name: 'sid', secure: false, domain: undefined, path: '/', sameSite: 'lax' },
          idleTimeoutMs: 30 * 60_000,
          absoluteTimeoutMs: 12 * 3_600_000,
          rememberTimeoutMs: 14 * 86_400_000,
          maxPerUser: 20,
          sudoTimeoutMs: 15 * 60_000,
        },
      },
    });
  });

  it.each([
    [{}, '__Host-sid', true, undefined],
    [{ SESSION_COOKIE_DOMAIN: 'example.com' }, '__Secure-sid', true, 'example.com'],
  ])('names the production cookie by its prefix rules %#', (extra, name, secure, domain) => {
    const result = parseConfig({ ...production, ...extra });
    expect(result.ok && result.config.session.cookie).toEqual({ name, secure, domain, path: '/', sameSite: 'lax' });
  });

  it('reads rotation secrets, durations, trust proxy lists', () => {
    const result = parseConfig({
      ...base,
      SESSION_SECRET: 'new-secret, old-secret',
      SESSION_IDLE_TIMEOUT: '2',
      SESSION_ABSOLUTE_TIMEOUT: '6s',
      SESSION_REMEMBER_TIMEOUT: '1h',
      TRUST_PROXY: '10.0.0.0/8, loopback, ::1',
    });
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.config.session.secrets).toEqual(['new-secret', 'old-secret']);
    expect(result.config.session.idleTimeoutMs).toBe(2_000);
    expect(result.config.session.absoluteTimeoutMs).toBe(6_000);
    expect(result.config.session.rememberTimeoutMs).toBe(3_600_000);
    expect(result.config.trustProxy).toEqual(['10.0.0.0/8', 'loopback', '::1']);
    expect(parseConfig({ ...base, TRUST_PROXY: '1' })).toMatchObject({ config: { trustProxy: 1 } });
  });

  it('reads the mail settings; mailed links use PUBLIC_ORIGIN', () => {
    const result = parseConfig({
      ...production,
      SMTP_URL: 'smtps://user:pass@mail.example.com:465',
      MAIL_FROM: 'Example <accounts@example.com>',
      PASSWORD_RESET_TTL: '2s',
      EMAIL_VERIFY_TTL: '1h',
      REQUIRE_VERIFIED_EMAIL: 'true',
    });
    expect(result.ok && { mail: result.config.mail, require: result.config.requireVerifiedEmail }).toEqual({
      mail: {
        smtpUrl: 'smtps://user:pass@mail.example.com:465',
        from: 'Example <accounts@example.com>',
        linkOrigin: 'https://example.com',
        passwordResetTtlMs: 2_000,
        emailVerifyTtlMs: 3_600_000,
      },
      require: true,
    });
  });

  it('reads the data encryption keys in hex or base64, the one that encrypts first', () => {
    const result = parseConfig({ ...base, DATA_ENCRYPTION_KEY: ` ${KEY.toString('hex')} , ${OLD_KEY.toString('base64url')}` });
    expect(result.ok && result.config.dataEncryptionKeys).toEqual([KEY, OLD_KEY]);
  });

  it("takes the passkeys' RP id from PUBLIC_ORIGIN unless WEBAUTHN_RP_ID names one", () => {
    const rp = (env: Record<string, string>) => {
      const result = parseConfig({ ...base, ...env });
      return result.ok ? result.config.webauthn : result.problems;
    };
    expect(rp({ PUBLIC_ORIGIN: 'https://login.example.com:8443' })).toEqual({ rpId: 'login.example.com', rpName: 'Gatehouse' });
    expect(rp({ PUBLIC_ORIGIN: 'https://login.example.com', WEBAUTHN_RP_ID: 'example.com', WEBAUTHN_RP_NAME: 'Example' })).toEqual({
      rpId: 'example.com',
      rpName: 'Example',
    });
  });

  it.each([
    [{ DATABASE_URL: '' }, 'DATABASE_URL: is required'],
    [{ DATABASE_URL: 'mysql://x' }, 'DATABASE_URL: must be a postgres:// URL'],
    [{ REDIS_URL: 'http://x' }, 'REDIS_URL: must be a redis:// or rediss:// URL'],
    [{ REDIS_URL: '' }, 'REDIS_URL: is required (unless REDIS_SENTINELS is set)'],
    [{ REDIS_SENTINELS: 'sentinel-1' }, 'REDIS_SENTINELS: must be a comma list of host:port'],
    [{ REDIS_SENTINELS: 'a:26379,,b:26379' }, 'REDIS_SENTINELS: must be a comma list of host:port'],
    [{ REDIS_SENTINELS: 'a:70000' }, 'REDIS_SENTINELS: must be a comma list of host:port'],
    [
      { REDIS_SENTINELS: 'a:1', REDIS_SENTINEL_MASTER: 'my master' },
      'REDIS_SENTINEL_MASTER: must be a name of letters, digits, dots, dashes or underscores',
    ],
    [{ PORT: '70000' }, 'PORT: must be a whole number from 1 to 65535'],
    [{ NODE_ENV: 'staging' }, 'NODE_ENV: must be development, production or test'],
    [{ SESSION_COOKIE_SECURE: 'yes' }, 'SESSION_COOKIE_SECURE: must be true or false'],
    [{ SESSION_COOKIE_SAMESITE: 'loose' }, 'SESSION_COOKIE_SAMESITE: must be lax, strict or none'],
    [{ SESSION_COOKIE_SAMESITE: 'none' }, 'SESSION_COOKIE_SAMESITE: none requires SESSION_COOKIE_SECURE=true'],
    [{ SESSION_COOKIE_NAME: 'bad name' }, 'SESSION_COOKIE_NAME: is not a valid cookie name'],
    [{ SESSION_COOKIE_NAME: '__Host-sid' }, 'SESSION_COOKIE_NAME: a __Host- cookie requires SESSION_COOKIE_SECURE=true'],
    [
      { SESSION_COOKIE_NAME: '__Host-sid', SESSION_COOKIE_SECURE: 'true', SESSION_COOKIE_DOMAIN: 'example.com' },
      'SESSION_COOKIE_NAME: a __Host- cookie must not have SESSION_COOKIE_DOMAIN',
    ],
    [
      { SESSION_COOKIE_NAME: '__Host-sid', SESSION_COOKIE_SECURE: 'true', SESSION_COOKIE_PATH: '/app' },
      'SESSION_COOKIE_NAME: a __Host- cookie requires SESSION_COOKIE_PATH=/',
    ],
    [{ SESSION_COOKIE_NAME: '__Secure-sid' }, 'SESSION_COOKIE_NAME: a __Secure- cookie requires SESSION_COOKIE_SECURE=true'],
    [{ SESSION_COOKIE_PATH: 'app' }, 'SESSION_COOKIE_PATH: must start with / and contain no spaces or semicolons'],
    [{ SESSION_IDLE_TIMEOUT: '5 minutes' }, 'SESSION_IDLE_TIMEOUT: must be a duration: 90, 90s, 30m, 12h or 14d'],
    [{ SESSION_IDLE_TIMEOUT: '0' }, 'SESSION_IDLE_TIMEOUT: must be a duration: 90, 90s, 30m, 12h or 14d'],
    [
      { SESSION_REMEMBER_TIMEOUT: '999999999d' },
      'SESSION_REMEMBER_TIMEOUT: must be a duration: 90, 90s, 30m, 12h or 14d, at most 400 days',
    ],
    [{ SESSION_REMEMBER_TIMEOUT: '401d' }, 'SESSION_REMEMBER_TIMEOUT: must be a duration: 90, 90s, 30m, 12h or 14d, at most 400 days'],
    [{ SESSION_MAX_PER_USER: '0' }, 'SESSION_MAX_PER_USER: must be a whole number from 1 to 1000'],
    [{ SESSION_IDLE_TIMEOUT: '13h' }, 'SESSION_IDLE_TIMEOUT: must not be longer than SESSION_ABSOLUTE_TIMEOUT'],
    [{ TRUST_PROXY: 'true' }, 'TRUST_PROXY: true would believe X-Forwarded-* from any client'],
    [{ TRUST_PROXY: '10.0.0.300' }, 'TRUST_PROXY: must be false, a hop count, or a comma list'],
    [{ PUBLIC_ORIGIN: 'https://example.com/app' }, 'PUBLIC_ORIGIN: must be an origin'],
    [{ PASSWORD_MIN_LENGTH: '4' }, 'PASSWORD_MIN_LENGTH: must be a whole number from 8 to 128'],
    [{ REGISTRATIONS_PER_ADDRESS: '0' }, 'REGISTRATIONS_PER_ADDRESS: must be a whole number from 1 to 1000000'],
    [{ LOG_LEVEL: 'loud' }, 'LOG_LEVEL: must be one of'],
    [{ SMTP_URL: '' }, 'SMTP_URL: is required'],
    [{ SMTP_URL: 'http://mail:1025' }, 'SMTP_URL: must be an smtp:// or smtps:// URL'],
    [{ MAIL_FROM: 'nobody' }, 'MAIL_FROM: must be an address'],
    [{ PASSWORD_RESET_TTL: '30 min' }, 'PASSWORD_RESET_TTL: must be a duration'],
    [{ EMAIL_VERIFY_TTL: '0' }, 'EMAIL_VERIFY_TTL: must be a duration'],
    [{ REQUIRE_VERIFIED_EMAIL: 'yes' }, 'REQUIRE_VERIFIED_EMAIL: must be true or false'],
    // What a browser compares is the ASCII, lower-case host alone: anything else never matches.
    ...['https://example.com', 'example.com:8443', 'Example.com', 'bücher.example', '.example.com', 'example.com/app'].map(
      (rpId) => [{ WEBAUTHN_RP_ID: rpId }, 'WEBAUTHN_RP_ID: must be a host name such as example.com'] as const,
    ),
    [{ WEBAUTHN_RP_NAME: 'x'.repeat(65) }, 'WEBAUTHN_RP_NAME: must be 1 to 64 characters'],
    [{ DATA_ENCRYPTION_KEY: '' }, 'DATA_ENCRYPTION_KEY: is required'],
    [{ DATA_ENCRYPTION_KEY: `${KEY.toString('base64')},` }, 'DATA_ENCRYPTION_KEY: has an empty entry'],
    [{ DATA_ENCRYPTION_KEY: KEY.subarray(0, 16).toString('base64') }, 'DATA_ENCRYPTION_KEY: every key must be 32 random bytes'],
    [{ DATA_ENCRYPTION_KEY: 'a passphrase is not a key, however long it is' }, 'DATA_ENCRYPTION_KEY: every key must be 32 random bytes'],
    [{ DATA_ENCRYPTION_KEY: `${KEY.toString('hex')},${KEY.toString('base64')}` }, 'DATA_ENCRYPTION_KEY: lists the same key twice'],
    [{ SESSION_SECRET: KEY.toString('base64') }, 'DATA_ENCRYPTION_KEY: must not be a SESSION_SECRET entry: give each its own random value'],
    [
      // The same 32 bytes in another spelling, and behind a rotation entry on both sides.
      {
        SESSION_SECRET: `${SECRET},${OLD_KEY.toString('hex')}`,
        DATA_ENCRYPTION_KEY: `${KEY.toString('hex')},${OLD_KEY.toString('base64')}`,
      },
      'DATA_ENCRYPTION_KEY: must not be a SESSION_SECRET entry',
    ],
  ])('refuses %j', (extra, expected) => {
    const problems = problemsOf({ ...base, ...extra });
    expect(problems).toHaveLength(1);
    expect(problems[0]).toContain(expected);
  });

  it('requires strong secrets, secure cookies and a public origin in production', () => {
    expect(problemsOf({ ...base, NODE_ENV: 'production', SESSION_SECRET: 'short', SESSION_COOKIE_SECURE: 'false' })).toEqual([
      'SESSION_SECRET: every secret must be at least 32 characters in production',
      'SESSION_COOKIE_SECURE: must be true in production (the app is served over HTTPS)',
      'PUBLIC_ORIGIN: is required in production (used to refuse cross-site requests)',
    ]);
  });

  it('takes the Sentinels instead of REDIS_URL', () => {
    const result = parseConfig({
      ...base,
      REDIS_URL: '',
      REDIS_SENTINELS: 'sentinel-1:26379, 10.0.0.2:26380,[::1]:26381',
      REDIS_SENTINEL_MASTER: 'sessions',
    });
    expect(result.ok && result.config).toMatchObject({
      redisUrl: undefined,
      redisSentinels: [
        { host: 'sentinel-1', port: 26379 },
        { host: '10.0.0.2', port: 26380 },
        { host: '::1', port: 26381 },
      ],
      redisSentinelMaster: 'sessions',
    });
  });

  it('takes REDIS_TLS with Sentinels, and refuses it with REDIS_URL (which says rediss:// for that)', () => {
    const sentinels = { ...base, REDIS_URL: '', REDIS_SENTINELS: 'sentinel-1:26379,sentinel-2:26379', REDIS_TLS: 'true' };
    expect(parseConfig(sentinels)).toMatchObject({ ok: true, config: { redisTls: true } });
    expect(problemsOf({ ...base, REDIS_TLS: 'true' })).toEqual([
      'REDIS_TLS: applies to REDIS_SENTINELS only (with REDIS_URL, give a rediss:// URL)',
    ]);
  });

  it('reports every missing variable on its own line and never echoes a value', () => {
    const secretValue = 'hunter2-not-long-enough';
    const problems = problemsOf({ NODE_ENV: 'production', SESSION_SECRET: secretValue, PORT: 'http' });
    expect(problems.map((line) => line.split(':')[0]).sort()).toEqual([
      'DATABASE_URL',
      'DATA_ENCRYPTION_KEY',
      'PORT',
      'REDIS_URL',
      'SMTP_URL',
    ]);
    expect(problems.join('\n')).not.toContain(secretValue);
    expect(problems.join('\n')).not.toContain('http');
  });

  describe('<NAME>_FILE', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'gatehouse-config-'));
    const file = (name: string, contents: string): string => {
      const target = path.join(dir, name);
      writeFileSync(target, contents);
      return target;
    };

    it('reads a secret from the file, without the trailing newline', () => {
      const result = parseConfig({
        DATABASE_URL: base.DATABASE_URL,
        REDIS_URL: base.REDIS_URL,
        SMTP_URL: base.SMTP_URL,
        SESSION_SECRET_FILE: file('secret', `${SECRET}\n`),
        REDIS_PASSWORD_FILE: file('redis', 'redis-pass\n'),
        DATA_ENCRYPTION_KEY_FILE: file('key', `${KEY.toString('hex')}\n`),
      });
      expect(result).toMatchObject({
        ok: true,
        config: { redisPassword: 'redis-pass', session: { secrets: [SECRET] }, dataEncryptionKeys: [KEY] },
      });
    });

    it('refuses both forms at once, and an unreadable file, naming the variable only', () => {
      expect(problemsOf({ ...base, SESSION_SECRET_FILE: file('both', SECRET) })).toEqual([
        'SESSION_SECRET_FILE: set SESSION_SECRET or SESSION_SECRET_FILE, not both',
      ]);
      expect(problemsOf({ ...base, REDIS_PASSWORD_FILE: path.join(dir, 'missing') })).toEqual([
        'REDIS_PASSWORD_FILE: cannot read the file (ENOENT)',
      ]);
      expect(problemsOf({ ...base, DATA_ENCRYPTION_KEY_FILE: file('key-both', KEY.toString('hex')) })).toEqual([
        'DATA_ENCRYPTION_KEY_FILE: set DATA_ENCRYPTION_KEY or DATA_ENCRYPTION_KEY_FILE, not both',
      ]);
    });

    it('refuses a key file that holds no key, without echoing what it holds', () => {
      const contents = 'my-data-key-passphrase';
      const problems = problemsOf({ ...base, DATA_ENCRYPTION_KEY: '', DATA_ENCRYPTION_KEY_FILE: file('not-a-key', `${contents}\n`) });
      expect(problems).toEqual(['DATA_ENCRYPTION_KEY: every key must be 32 random bytes, written as 64 hex digits or in base64']);
      expect(problems.join('\n')).not.toContain(contents);
    });
  });
});

describe('the variables', () => {
  it('each has its fix beside its rule (what the doctor prints when the app refuses it)', () => {
    expect(CONFIG_VARIABLES.filter((variable) => !configFix(variable))).toEqual([]);
  });

  it("each has a row in the README's Configuration table", () => {
    const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
    const table = readme.slice(readme.indexOf('## Configuration'), readme.indexOf('\n## ', readme.indexOf('## Configuration') + 1));
    expect(CONFIG_VARIABLES.filter((variable) => !table.includes(`| \`${variable}\` |`))).toEqual([]);
  });
});
