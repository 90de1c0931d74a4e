import { isIP } from 'node:net';
import { z } from 'zod';
import { parseDataKey } from '../crypto/data-encryption.js';
import { parseDuration } from './duration.js';
import { resolveSecretFiles } from './secret-files.js';
import { cookieNameProblems, defaultCookieName, type SessionCookieConfig } from './session-cookie-name.js';

/**
 * The whole environment contract (README, Configuration) in one place: each variable's rule and,
 * in its describe(), what to do when it is refused (the doctor prints that as the fix). Every message names the variable and
 * says what is wrong with it, but never echoes the value: a mistyped secret must not end up in a
 * deployment log.
 */

const NODE_ENVS = ['development', 'production', 'test'] as const;
const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
const SAME_SITE = ['lax', 'strict', 'none'] as const;
/** Express understands these names in `trust proxy` (via proxy-addr). */
const TRUST_PROXY_NAMES = ['loopback', 'linklocal', 'uniquelocal'];
const COOKIE_NAME = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
const DOMAIN = /^\.?([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/;

const optional = z
  .string()
  .trim()
  .optional()
  .transform((v) => (v === '' ? undefined : v));
const required = z.string({ error: 'is required' }).trim().min(1, { error: 'is required', abort: true });
const bool = optional.refine((v) => v === undefined || v === 'true' || v === 'false', {
  error: 'must be true or false',
});
const duration = (fallback: string) =>
  optional
    .transform((v) => parseDuration(v ?? fallback))
    .refine((v) => v !== undefined, { error: 'must be a duration: 90, 90s, 30m, 12h or 14d, at most 400 days' })
    .transform((v) => v as number);
const integer = (fallback: number, min: number, max: number) =>
  optional
    .transform((v) => (v === undefined ? fallback : /^\d+$/.test(v) ? Number(v) : NaN))
    .refine((v) => Number.isInteger(v) && v >= min && v <= max, {
      error: `must be a whole number from ${min} to ${max}`,
    });

/** `host:port,host:port` (IPv6 hosts in brackets); null when any entry is not that. */
function parseNodes(value: string): RedisNode[] | null {
  const nodes = value.split(',').map((entry) => {
    const match = /^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9._-]+):(\d{1,5})$/.exec(entry.trim());
    const port = Number(match?.[2]);
    return match && port >= 1 && port <= 65535 ? { host: match[1].replace(/^\[|\]$/g, ''), port } : null;
  });
  return nodes.every((node) => node !== null) ? nodes : null;
}

function parseTrustProxy(value: string | undefined): false | number | string[] | undefined {
  if (value === undefined || value === 'false') return false;
  if (/^\d+$/.test(value)) return Number(value);
  const entries = value.split(',').map((s) => s.trim());
  const valid = entries.every((entry) => {
    if (TRUST_PROXY_NAMES.includes(entry)) return true;
    const [address, bits, ...rest] = entry.split('/');
    const family = isIP(address);
    if (!family || rest.length) return false;
    if (bits === undefined) return true;
    return /^\d+$/.test(bits) && Number(bits) <= (family === 4 ? 32 : 128);
  });
  return valid ? entries : undefined;
}

const envSchema = z.object({
  NODE_ENV: optional
    .transform((v) => v ?? 'development')
    .refine((v) => (NODE_ENVS as readonly string[]).includes(v), { error: 'must be development, production or test' })
    .transform((v) => v as (typeof NODE_ENVS)[number])
    .describe('set NODE_ENV=production (or development, test)'),
  PORT: integer(3000, 1, 65535).describe('set PORT to a port number from 1 to 65535'),
  HOST: optional.transform((v) => v ?? '0.0.0.0').describe('set HOST to the address the app listens on (default 0.0.0.0)'),
  DATABASE_URL: required
    .refine((v) => /^postgres(ql)?:\/\/./.test(v), {
      error: 'must be a postgres:// URL',
    })
    .describe('set DATABASE_URL=postgres://user:password@host:5432/database'),
  // Required unless REDIS_SENTINELS is set: checked below, where both are known.
  REDIS_URL: optional
    .refine((v) => v === undefined || /^rediss?:\/\/./.test(v), {
      error: 'must be a redis:// or rediss:// URL',
    })
    .describe('set REDIS_URL=redis://host:6379, or REDIS_SENTINELS to find the primary through Sentinels'),
  REDIS_PASSWORD: optional.describe('set REDIS_PASSWORD to the password Redis (and its Sentinels) require, or unset it'),
  REDIS_SENTINELS: optional
    .transform((v) => (v === undefined ? undefined : parseNodes(v)))
    .refine((v) => v !== null, { error: 'must be a comma list of host:port' })
    .transform((v) => v ?? undefined)
    .describe('set REDIS_SENTINELS=host:26379,host:26379,host:26379 (the Sentinels, comma-separated)'),
  REDIS_TLS: bool.describe('unset REDIS_TLS with REDIS_URL, and give a rediss:// URL for TLS; REDIS_TLS=true is for REDIS_SENTINELS'),
  REDIS_SENTINEL_MASTER: optional
    .transform((v) => v ?? 'gatehouse')
    .refine((v) => /^[A-Za-z0-9._-]+$/.test(v), { error: 'must be a name of letters, digits, dots, dashes or underscores' })
    .describe('set REDIS_SENTINEL_MASTER to the name the Sentinels monitor the primary under (default gatehouse)'),
  SESSION_SECRET: required
    .transform((v) => v.split(',').map((s) => s.trim()))
    .refine((list) => list.every((s) => s.length > 0), { error: 'has an empty entry' })
    .describe('set SESSION_SECRET to a random string of at least 32 characters (openssl rand -hex 32)'),
  SESSION_COOKIE_NAME: optional
    .refine((v) => v === undefined || COOKIE_NAME.test(v), {
      error: 'is not a valid cookie name',
    })
    .describe(
      'unset SESSION_COOKIE_NAME (the app picks the strictest prefix the other settings allow), or use a prefix whose rules they keep',
    ),
  SESSION_COOKIE_SECURE: bool.describe('set SESSION_COOKIE_SECURE=true (the default in production) and serve the app over HTTPS'),
  SESSION_COOKIE_DOMAIN: optional
    .refine((v) => v === undefined || DOMAIN.test(v), {
      error: 'must be a domain name such as example.com',
    })
    .describe('unset SESSION_COOKIE_DOMAIN (a host-only cookie) or give a domain name such as example.com'),
  SESSION_COOKIE_PATH: optional
    .refine((v) => v === undefined || /^\/[^;\s]*$/.test(v), {
      error: 'must start with / and contain no spaces or semicolons',
    })
    .describe('unset SESSION_COOKIE_PATH (it defaults to /) or give the path the app is served under'),
  SESSION_COOKIE_SAMESITE: optional
    .transform((v) => v?.toLowerCase() ?? 'lax')
    .refine((v) => (SAME_SITE as readonly string[]).includes(v), { error: 'must be lax, strict or none' })
    .transform((v) => v as (typeof SAME_SITE)[number])
    .describe('set SESSION_COOKIE_SAMESITE=lax (the default); none only with SESSION_COOKIE_SECURE=true over HTTPS'),
  SESSION_IDLE_TIMEOUT: duration('30m').describe('give a duration such as 30m, no longer than SESSION_ABSOLUTE_TIMEOUT'),
  SESSION_ABSOLUTE_TIMEOUT: duration('12h').describe('give a duration such as 12h'),
  SESSION_REMEMBER_TIMEOUT: duration('14d').describe('give a duration such as 14d'),
  SESSION_MAX_PER_USER: integer(20, 1, 1000).describe('set SESSION_MAX_PER_USER to a whole number from 1 to 1000 (default 20)'),
  SUDO_TIMEOUT: duration('15m').describe(
    'give a duration such as 15m: how long after sign-in or re-authentication sensitive changes are allowed',
  ),
  TRUST_PROXY: optional
    .refine((v) => v !== 'true', {
      error: 'true would believe X-Forwarded-* from any client; give a hop count or the proxy addresses',
    })
    .transform(parseTrustProxy)
    .refine((v) => v !== undefined, {
      error: 'must be false, a hop count, or a comma list of addresses, CIDRs, loopback, linklocal, uniquelocal',
    })
    .describe("set TRUST_PROXY to your proxy's address as the app sees it (e.g. 10.0.0.2), or the number of proxies in front"),
  PUBLIC_ORIGIN: optional
    .refine((v) => v === undefined || isOrigin(v), {
      error: 'must be an origin such as https://example.com (scheme, host, optional port; no path)',
    })
    .describe('set PUBLIC_ORIGIN to the origin browsers use, e.g. https://example.com'),
  PASSWORD_MIN_LENGTH: integer(12, 8, 128).describe('set PASSWORD_MIN_LENGTH to a whole number from 8 to 128'),
  REGISTRATIONS_PER_ADDRESS: integer(20, 1, 1_000_000).describe('set REGISTRATIONS_PER_ADDRESS to a whole number from 1 (default 20)'),
  // Mail (docs/security.md, Account recovery). The URL may carry the SMTP password: never echoed.
  SMTP_URL: required
    .refine((v) => /^smtps?:\/\/[^/]/.test(v), { error: 'must be an smtp:// or smtps:// URL' })
    .describe('set SMTP_URL=smtps://user:password@mail.example.com:465 (or smtp:// to a local relay)'),
  MAIL_FROM: optional
    .refine((v) => v === undefined || /^[^\r\n]*@[^\r\n]*$/.test(v), {
      error: 'must be an address such as Gatehouse <no-reply@example.com>',
    })
    .describe('set MAIL_FROM to a sender such as Gatehouse <no-reply@example.com>'),
  PASSWORD_RESET_TTL: duration('30m').describe('give a duration such as 30m'),
  EMAIL_VERIFY_TTL: duration('24h').describe('give a duration such as 24h'),
  REQUIRE_VERIFIED_EMAIL: bool.describe('set REQUIRE_VERIFIED_EMAIL=true or false'),
  // Encrypts TOTP secrets at rest (src/crypto/data-encryption.ts). Required everywhere, like the
  // session secret: a development default would be a key everyone knows.
  DATA_ENCRYPTION_KEY: required
    .transform((v) => v.split(',').map((s) => s.trim()))
    .refine((list) => list.every((s) => s.length > 0), { error: 'has an empty entry', abort: true })
    .transform((list) => list.map(parseDataKey))
    .refine((keys) => keys.every((key) => key !== undefined), {
      error: 'every key must be 32 random bytes, written as 64 hex digits or in base64',
      abort: true,
    })
    .transform((keys) => keys as Buffer[])
    .refine((keys) => new Set(keys.map((key) => key.toString('hex'))).size === keys.length, {
      error: 'lists the same key twice',
    })
    .describe(
      'set DATA_ENCRYPTION_KEY to 32 random bytes (openssl rand -base64 32), never the session secret; to rotate, put a new key first and keep the old ones after it',
    ),
  TOTP_ISSUER: optional
    .transform((v) => v ?? 'Gatehouse')
    .refine((v) => /^[^:\p{Cc}]{1,40}$/u.test(v), { error: 'must be 1 to 40 characters, without a colon' })
    .describe('set TOTP_ISSUER to the name authenticator apps show for this site, e.g. Gatehouse (no colon)'),
  // The passkeys' relying party (docs/passkeys.md). Its default, the host of PUBLIC_ORIGIN, is
  // filled in below, where PUBLIC_ORIGIN is known. The value must be what a browser would compare:
  // a host name, lower case, in its ASCII (punycode) form, no port.
  WEBAUTHN_RP_ID: optional
    .refine((v) => v === undefined || isRpId(v), {
      error: 'must be a host name such as example.com: lower case, ASCII (punycode), no scheme, port or path',
    })
    .describe('unset WEBAUTHN_RP_ID (it defaults to the host of PUBLIC_ORIGIN), or set it to that host or a parent domain of it'),
  WEBAUTHN_RP_NAME: optional
    .transform((v) => v ?? 'Gatehouse')
    .refine((v) => /^[^\p{Cc}]{1,64}$/u.test(v), { error: 'must be 1 to 64 characters' })
    .describe('set WEBAUTHN_RP_NAME to the name passkey managers show for this site, e.g. Gatehouse'),
  LOG_LEVEL: optional
    .transform((v) => v ?? 'info')
    .refine((v) => (LOG_LEVELS as readonly string[]).includes(v), { error: `must be one of ${LOG_LEVELS.join(', ')}` })
    .describe('set LOG_LEVEL=info'),
});

/** A session secret that spells one of the keys: the same text, or the same 32 bytes in another encoding. */
function sharesSessionSecret(keys: Buffer[], sessionSecrets: string[]): boolean {
  return sessionSecrets.some((secret) => {
    const asKey = parseDataKey(secret);
    return asKey !== undefined && keys.some((key) => key.equals(asKey));
  });
}

/** A WebAuthn RP id as browsers compare it: a host that is its own ASCII, lower-case form. */
function isRpId(value: string): boolean {
  try {
    return DOMAIN.test(value) && !value.startsWith('.') && new URL(`https://${value}`).hostname === value;
  } catch {
    return false;
  }
}

/**
 * WEBAUTHN_RP_ID's default: the host of PUBLIC_ORIGIN, or `localhost` without one (development,
 * where PUBLIC_ORIGIN may be unset and the app is reached at localhost).
 */
export function defaultRpId(publicOrigin: string | undefined): string {
  return publicOrigin === undefined ? 'localhost' : new URL(publicOrigin).hostname;
}

function isOrigin(value: string): boolean {
  try {
    const url = new URL(value);
    return (url.protocol === 'https:' || url.protocol === 'http:') && url.origin === value;
  } catch {
    return false;
  }
}

export type { SameSite, SessionCookieConfig } from './session-cookie-name.js';

export interface RedisNode {
  host: string;
  port: number;
}

export interface AppConfig {
  nodeEnv: (typeof NODE_ENVS)[number];
  port: number;
  host: string;
  databaseUrl: string;
  /** Unset when the primary is found through Sentinels (redisSentinels). */
  redisUrl: string | undefined;
  /** Given apart from REDIS_URL so that it can come from a file (REDIS_PASSWORD_FILE). */
  redisPassword: string | undefined;
  /** REDIS_SENTINELS: when set, the app asks these for the primary and follows failovers. */
  redisSentinels: RedisNode[] | undefined;
  /** The Sentinels' name for the primary. */
  redisSentinelMaster: string;
  /** REDIS_TLS, Sentinel mode: the Sentinels and the data nodes are reached over TLS (single mode says rediss://). */
  redisTls: boolean;
  trustProxy: false | number | string[];
  publicOrigin: string | undefined;
  passwordMinLength: number;
  /** REGISTRATIONS_PER_ADDRESS: accounts one client address (an IPv6 /64) may register an hour. */
  registrationsPerAddress: number;
  logLevel: string;
  mail: MailConfig;
  /** REQUIRE_VERIFIED_EMAIL: sign-in of an unverified user is refused after the password check. */
  requireVerifiedEmail: boolean;
  /** DATA_ENCRYPTION_KEY, 32 bytes each: the first encrypts, all decrypt (rotation). */
  dataEncryptionKeys: Buffer[];
  /** TOTP_ISSUER: the name authenticator apps list this site under (the otpauth:// URI's issuer). */
  totpIssuer: string;
  webauthn: WebAuthnConfig;
  session: {
    /** The first signs new cookies; all of them verify (rotation without logging everyone out). */
    secrets: string[];
    cookie: SessionCookieConfig;
    idleTimeoutMs: number;
    absoluteTimeoutMs: number;
    rememberTimeoutMs: number;
    /** Live sessions one user may hold; a new sign-in ends the least recently used beyond it. */
    maxPerUser: number;
    /** SUDO_TIMEOUT: how long sudo mode lasts after sign-in or re-authentication. */
    sudoTimeoutMs: number;
  };
}

export interface WebAuthnConfig {
  /** WEBAUTHN_RP_ID: the relying party id passkeys are bound to. */
  rpId: string;
  /** WEBAUTHN_RP_NAME: the name passkey managers show. */
  rpName: string;
}

export interface MailConfig {
  smtpUrl: string;
  from: string;
  /** Where mailed links point: PUBLIC_ORIGIN, or the app itself in development. */
  linkOrigin: string;
  passwordResetTtlMs: number;
  emailVerifyTtlMs: number;
}

export type ConfigResult = { ok: true; config: AppConfig } | { ok: false; problems: string[] };

/**
 * Validates the environment (secrets may come from `<NAME>_FILE`); on failure returns one line
 * per problem, each naming its variable.
 */
/** Every variable the app reads (the `_FILE` forms aside). */
export const CONFIG_VARIABLES: readonly string[] = Object.keys(envSchema.shape);

/** What to do about a refused variable: its describe() text in the schema. */
export function configFix(variable: string): string | undefined {
  return (envSchema.shape as Record<string, z.ZodType | undefined>)[variable]?.description;
}

export function parseConfig(rawEnv: Record<string, string | undefined>): ConfigResult {
  const { env, problems: fileProblems } = resolveSecretFiles(rawEnv);
  const parsed = envSchema.safeParse(env);
  // Depends on two variables, so it is checked here rather than in the schema; reported with the others.
  const redisProblems =
    env.REDIS_URL?.trim() || env.REDIS_SENTINELS?.trim() ? [] : ['REDIS_URL: is required (unless REDIS_SENTINELS is set)'];
  if (env.REDIS_TLS === 'true' && !env.REDIS_SENTINELS?.trim()) {
    redisProblems.push('REDIS_TLS: applies to REDIS_SENTINELS only (with REDIS_URL, give a rediss:// URL)');
  }
  if (!parsed.success || fileProblems.length || redisProblems.length) {
    return {
      ok: false,
      problems: [
        ...fileProblems,
        ...(parsed.error?.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`) ?? []),
        ...redisProblems,
      ],
    };
  }
  const e = parsed.data;
  const production = e.NODE_ENV === 'production';
  const secure = e.SESSION_COOKIE_SECURE === undefined ? production : e.SESSION_COOKIE_SECURE === 'true';
  const domain = e.SESSION_COOKIE_DOMAIN;
  const path = e.SESSION_COOKIE_PATH ?? '/';
  const name = e.SESSION_COOKIE_NAME ?? defaultCookieName(secure, domain);

  const problems: string[] = [];
  const problem = (variable: string, message: string) => problems.push(`${variable}: ${message}`);
  if (production && e.SESSION_SECRET.some((s) => s.length < 32)) {
    problem('SESSION_SECRET', 'every secret must be at least 32 characters in production');
  }
  if (production && !secure) {
    problem('SESSION_COOKIE_SECURE', 'must be true in production (the app is served over HTTPS)');
  }
  if (production && !e.PUBLIC_ORIGIN) {
    problem('PUBLIC_ORIGIN', 'is required in production (used to refuse cross-site requests)');
  }
  if (e.SESSION_COOKIE_SAMESITE === 'none' && !secure) {
    problem('SESSION_COOKIE_SAMESITE', 'none requires SESSION_COOKIE_SECURE=true (browsers drop it otherwise)');
  }
  problems.push(...cookieNameProblems({ name, secure, domain, path, sameSite: e.SESSION_COOKIE_SAMESITE }));
  if (e.SESSION_IDLE_TIMEOUT > e.SESSION_ABSOLUTE_TIMEOUT) {
    problem('SESSION_IDLE_TIMEOUT', 'must not be longer than SESSION_ABSOLUTE_TIMEOUT');
  }
  if (sharesSessionSecret(e.DATA_ENCRYPTION_KEY, e.SESSION_SECRET)) {
    // One leaked value would then both forge sessions and decrypt every second factor.
    problem('DATA_ENCRYPTION_KEY', 'must not be a SESSION_SECRET entry: give each its own random value');
  }
  if (problems.length) return { ok: false, problems };

  return {
    ok: true,
    config: {
      nodeEnv: e.NODE_ENV,
      port: e.PORT,
      host: e.HOST,
      databaseUrl: e.DATABASE_URL,
      redisUrl: e.REDIS_URL,
      redisPassword: e.REDIS_PASSWORD,
      redisSentinels: e.REDIS_SENTINELS,
      redisSentinelMaster: e.REDIS_SENTINEL_MASTER,
      redisTls: e.REDIS_TLS === 'true',
      trustProxy: e.TRUST_PROXY as AppConfig['trustProxy'],
      publicOrigin: e.PUBLIC_ORIGIN,
      passwordMinLength: e.PASSWORD_MIN_LENGTH,
      registrationsPerAddress: e.REGISTRATIONS_PER_ADDRESS,
      logLevel: e.LOG_LEVEL,
      mail: {
        smtpUrl: e.SMTP_URL,
        from: e.MAIL_FROM ?? 'Gatehouse <no-reply@localhost>',
        linkOrigin: e.PUBLIC_ORIGIN ?? `http://localhost:${e.PORT}`,
        passwordResetTtlMs: e.PASSWORD_RESET_TTL,
        emailVerifyTtlMs: e.EMAIL_VERIFY_TTL,
      },
      requireVerifiedEmail: e.REQUIRE_VERIFIED_EMAIL === 'true',
      dataEncryptionKeys: e.DATA_ENCRYPTION_KEY,
      totpIssuer: e.TOTP_ISSUER,
      webauthn: { rpId: e.WEBAUTHN_RP_ID ?? defaultRpId(e.PUBLIC_ORIGIN), rpName: e.WEBAUTHN_RP_NAME },
      session: {
        secrets: e.SESSION_SECRET,
        cookie: { name, secure, domain, path, sameSite: e.SESSION_COOKIE_SAMESITE },
        idleTimeoutMs: e.SESSION_IDLE_TIMEOUT,
        absoluteTimeoutMs: e.SESSION_ABSOLUTE_TIMEOUT,
        rememberTimeoutMs: e.SESSION_REMEMBER_TIMEOUT,
        maxPerUser: e.SESSION_MAX_PER_USER,
        sudoTimeoutMs: e.SUDO_TIMEOUT,
      },
    },
  };
}
