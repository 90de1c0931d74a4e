import { isIP } from 'node:net';
import { type AppConfig, configFix, type ConfigResult, parseConfig } from '../config/config.schema.js';
import { rpIdProblem } from '../config/rp-id.js';
import { dataKeyId } from '../crypto/data-encryption.js';
import { Report } from './report.js';

/**
 * The doctor's one way into the app's configuration: the very function main.ts runs at start, so
 * the doctor reads the same variables the same way and can never disagree with the app.
 */
export function readAppConfig(env: NodeJS.ProcessEnv): ConfigResult {
  return parseConfig(env);
}

const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;

/** Configuration checks (no --url): GH-C001 to GH-C011 in docs/doctor.md. */
export function configChecks(env: NodeJS.ProcessEnv): Report {
  const report = new Report();
  const result = readAppConfig(env);
  if (!result.ok) {
    for (const problem of result.problems) {
      const variable = problem.slice(0, problem.indexOf(':'));
      report.fail('GH-C001', `the app refuses to start: ${problem}`, configFix(variable) ?? "see the README's Configuration table");
    }
    // The other checks judge values the way the app reads them, which it does not here.
    report.skip(
      ['GH-C002', 'GH-C003', 'GH-C004', 'GH-C005', 'GH-C006', 'GH-C007', 'GH-C008', 'GH-C009', 'GH-C010', 'GH-C011'],
      'the app would not start',
    );
    return report;
  }
  const config = result.config;
  report.pass('GH-C001', 'the app starts with this configuration');
  checkNodeEnv(report, config);
  checkTrustProxy(report, config);
  checkSecrets(report, config.session.secrets);
  checkTimeouts(report, config);
  checkSameSite(report, config);
  checkSmtp(report, config.mail.smtpUrl);
  checkDataKeys(report, config.dataEncryptionKeys);
  checkRpId(report, config);
  return report;
}

function checkNodeEnv(report: Report, config: AppConfig): void {
  if (config.nodeEnv === 'production') return report.pass('GH-C002', 'NODE_ENV is production');
  report.warn(
    'GH-C002',
    `NODE_ENV is ${config.nodeEnv}, not production: short secrets, cookies without Secure and a missing PUBLIC_ORIGIN are accepted`,
    'set NODE_ENV=production in every deployment',
  );
}

function checkTrustProxy(report: Report, config: AppConfig): void {
  const trust = config.trustProxy;
  if (typeof trust === 'number' && trust > 1) {
    report.warn(
      'GH-C003',
      `TRUST_PROXY=${trust} trusts ${trust} proxy hops: unless ${trust} proxies in front each set X-Forwarded-For, a client chooses its own address (and dodges per-address limits)`,
      "set TRUST_PROXY to your proxy's address as the app sees it, or to the exact number of proxies in front (1 behind one nginx)",
    );
  } else {
    report.pass('GH-C003', `TRUST_PROXY trusts no more than one hop or named addresses (${describeTrust(trust)})`);
  }
  // The app only ever listens on plain http (TLS ends at the proxy), so without a trusted proxy
  // no request looks like HTTPS and express-session silently withholds every Secure cookie.
  if (config.session.cookie.secure && (trust === false || trust === 0)) {
    report.fail(
      'GH-C004',
      'SESSION_COOKIE_SECURE is on but TRUST_PROXY trusts no proxy: the app (plain http behind the TLS proxy) never sees HTTPS, so login answers 200 and sends no cookie',
      "set TRUST_PROXY to your proxy's address as the app sees it (compose: nginx's address; npm run stack: 127.0.0.1)",
    );
  } else {
    report.pass('GH-C004', 'Secure cookies can be sent: the app believes its proxy about HTTPS');
  }
}

function describeTrust(trust: AppConfig['trustProxy']): string {
  if (trust === false) return 'false';
  if (typeof trust === 'number') return `${trust} hop${trust === 1 ? '' : 's'}`;
  return trust.join(',');
}

/** Words that make a secret guessable: defaults from docs and examples, and this app's name. */
const WEAK_WORDS = [
  'secret',
  'password',
  'passwd',
  'changeme',
  'change-me',
  'change_me',
  'keyboard',
  'gatehouse',
  'example',
  'default',
  'session',
  'qwerty',
  'letmein',
  'admin',
  '123456',
  'abcdef',
  'dummy',
  'sample',
  'replace',
];

/** Why a secret is guessable, or undefined when it looks random. Judges, never prints, the value. */
export function weakSecret(secret: string): string | undefined {
  if (/^(.{1,16}?)\1+$/s.test(secret)) return 'is one short string repeated';
  if (new Set(secret).size < 8) return 'uses fewer than 8 different characters';
  const lower = secret.toLowerCase();
  if (WEAK_WORDS.some((word) => lower.includes(word))) return 'contains a common word (secret, password, changeme, …)';
  if (/^[a-z]+([ ._-]?[a-z]+)*$/i.test(secret) && /[ ._-]/.test(secret)) return 'is made of words only';
  return undefined;
}

function checkSecrets(report: Report, secrets: string[]): void {
  let weak = false;
  secrets.forEach((secret, i) => {
    const why = weakSecret(secret);
    if (!why) return;
    weak = true;
    const which = secrets.length > 1 ? `SESSION_SECRET (entry ${i + 1} of ${secrets.length})` : 'SESSION_SECRET';
    report.warn(
      'GH-C005',
      `${which} ${why}: whoever guesses it can sign session cookies`,
      'replace it with a random value (openssl rand -hex 32); to rotate without signing everyone out, put the new one first',
    );
  });
  if (!weak) report.pass('GH-C005', `SESSION_SECRET looks random (${secrets.length} secret${secrets.length === 1 ? '' : 's'})`);
}

function human(ms: number): string {
  if (ms % DAY_MS === 0) return `${ms / DAY_MS}d`;
  if (ms % HOUR_MS === 0) return `${ms / HOUR_MS}h`;
  if (ms % 60_000 === 0) return `${ms / 60_000}m`;
  return `${Math.round(ms / 1000)}s`;
}

function checkTimeouts(report: Report, config: AppConfig): void {
  const { idleTimeoutMs, rememberTimeoutMs } = config.session;
  if (idleTimeoutMs > HOUR_MS) {
    report.warn(
      'GH-C006',
      `SESSION_IDLE_TIMEOUT is ${human(idleTimeoutMs)}: a session left open on a shared computer stays usable for over an hour`,
      'set SESSION_IDLE_TIMEOUT to 1h or less (default 30m); long sign-ins are what remember-me is for',
    );
  } else {
    report.pass('GH-C006', `SESSION_IDLE_TIMEOUT is ${human(idleTimeoutMs)}`);
  }
  if (rememberTimeoutMs > 30 * DAY_MS) {
    report.warn(
      'GH-C007',
      `SESSION_REMEMBER_TIMEOUT is ${human(rememberTimeoutMs)}: a stolen remember-me cookie works for over 30 days`,
      'set SESSION_REMEMBER_TIMEOUT to 30d or less (default 14d)',
    );
  } else {
    report.pass('GH-C007', `SESSION_REMEMBER_TIMEOUT is ${human(rememberTimeoutMs)}`);
  }
}

function checkSameSite(report: Report, config: AppConfig): void {
  const sameSite = config.session.cookie.sameSite;
  if (sameSite !== 'none') return report.pass('GH-C008', `SESSION_COOKIE_SAMESITE is ${sameSite}`);
  report.warn(
    'GH-C008',
    'SESSION_COOKIE_SAMESITE=none: browsers send the session cookie with requests from every other site, so only the Origin check stands against CSRF',
    'set SESSION_COOKIE_SAMESITE=lax unless another site really must use the session',
  );
}

/**
 * Loopback, private addresses and single-label names (a compose service such as `mail`, an
 * /etc/hosts entry) count as local: the mail does not cross the internet in clear.
 */
function isLocalHost(host: string): boolean {
  const bare = host.replace(/^\[|\]$/g, '').toLowerCase();
  if (bare === 'localhost' || bare.endsWith('.localhost')) return true;
  const family = isIP(bare);
  if (family === 4) return /^(127\.|10\.|192\.168\.|172\.(1[6-9]|2\d|3[01])\.)/.test(bare);
  if (family === 6) return bare === '::1' || /^f[cd]/.test(bare);
  return !bare.includes('.');
}

function checkSmtp(report: Report, smtpUrl: string): void {
  let url: URL;
  try {
    url = new URL(smtpUrl);
  } catch {
    return; // the app's own schema names a malformed SMTP_URL (GH-C001)
  }
  if (url.protocol === 'smtp:' && !isLocalHost(url.hostname)) {
    report.warn(
      'GH-C009',
      `SMTP_URL is smtp:// to ${url.hostname}, which is not local: reset links and any SMTP password may cross the network unencrypted`,
      'use smtps:// (TLS from the first byte), or a relay on this host or private network',
    );
  } else {
    report.pass('GH-C009', `SMTP_URL is ${url.protocol}// to ${url.hostname}`);
  }
}

/**
 * Why a DATA_ENCRYPTION_KEY is guessable although it is 32 bytes (the app checks that), or
 * undefined when it looks random. 32 random bytes show about 30 different values and are all
 * printable ASCII with a chance of about 10^-14, so neither test misjudges a generated key.
 */
export function weakDataKey(key: Buffer): string | undefined {
  const steps = new Set(key.subarray(1).map((byte, i) => (byte - key[i] + 256) % 256));
  if (new Set(key).size < 16 || steps.size < 16) return 'is a pattern (few different bytes, or a counting sequence)';
  if (key.every((byte) => byte >= 0x20 && byte <= 0x7e)) return 'is text (a phrase encoded as a key), not random bytes';
  return undefined;
}

function checkDataKeys(report: Report, keys: Buffer[]): void {
  let weak = false;
  keys.forEach((key, i) => {
    const why = weakDataKey(key);
    if (!why) return;
    weak = true;
    const which = keys.length > 1 ? `DATA_ENCRYPTION_KEY (entry ${i + 1} of ${keys.length})` : 'DATA_ENCRYPTION_KEY';
    report.warn(
      'GH-C010',
      `${which} ${why}: whoever guesses it can decrypt the stored TOTP secrets`,
      'put a new key first (openssl rand -base64 32); keep this one after it until nothing encrypted under it is left',
    );
  });
  if (!weak) {
    const count = `${keys.length} key${keys.length === 1 ? '' : 's'}`;
    report.pass('GH-C010', `DATA_ENCRYPTION_KEY looks random (${count}; new data under key id ${dataKeyId(keys[0])})`);
  }
}

/**
 * GH-C011: the passkey twin of the seed failure. The app starts with any host name as
 * WEBAUTHN_RP_ID, but on pages of PUBLIC_ORIGIN a browser refuses an RP id that is not that host
 * or a parent domain of it, before anything reaches the app: every passkey ceremony fails, and
 * the app logs nothing (config/rp-id.ts).
 */
function checkRpId(report: Report, config: AppConfig): void {
  const { rpId } = config.webauthn;
  const origin = config.publicOrigin ?? config.mail.linkOrigin;
  const unset = config.publicOrigin === undefined ? ` (PUBLIC_ORIGIN is unset: the app's own ${origin})` : '';
  const problem = rpIdProblem(rpId, origin);
  if (!problem) {
    const host = new URL(origin).hostname;
    report.pass('GH-C011', `WEBAUTHN_RP_ID ${rpId} is ${rpId === host ? 'the host' : 'a parent domain of the host'} of ${origin}${unset}`);
  } else if (problem.severity === 'warn') {
    report.warn(
      'GH-C011',
      `${problem.what}${unset}: the passkey buttons will fail`,
      'serve the app under a domain name (localhost in development) for its users to sign in with passkeys',
    );
  } else {
    report.fail(
      'GH-C011',
      `${problem.what}${unset}: every passkey ceremony fails in the browser (SecurityError) before it reaches the app`,
      configFix('WEBAUTHN_RP_ID') ?? 'unset WEBAUTHN_RP_ID',
    );
  }
}
