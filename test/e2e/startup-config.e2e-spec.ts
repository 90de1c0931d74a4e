import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { expect, it } from '@jest/globals';
import { describeNative } from '../support/target.js';

const SECRET = 'a-very-secret-value-that-must-never-be-printed';

/** Starts the built app with exactly this environment; resolves with its exit code and stderr. */
function runApp(env: Record<string, string>): Promise<{ code: number | null; stderr: string; stdout: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['dist/src/main.js'], { env: { PATH: process.env.PATH ?? '', ...env } });
    let stderr = '';
    let stdout = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
    child.on('error', reject);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stderr, stdout });
    });
  });
}

const valid = {
  DATABASE_URL: 'postgres://nobody@127.0.0.1:1/none',
  REDIS_URL: 'redis://127.0.0.1:1',
  SESSION_SECRET: SECRET,
  SMTP_URL: 'smtp://127.0.0.1:1',
  DATA_ENCRYPTION_KEY: randomBytes(32).toString('base64'),
  PORT: '1', // never reached: validation fails first, so nothing listens
};

describeNative('start-up configuration check (the built app, before it listens)', () => {
  it.each([
    [
      'a duration over 400 days (it once passed, and a remember-me login answered 500)',
      { SESSION_REMEMBER_TIMEOUT: '999999999d' },
      ['Invalid configuration: SESSION_REMEMBER_TIMEOUT: must be a duration: 90, 90s, 30m, 12h or 14d, at most 400 days'],
    ],
    [
      'SameSite=None without secure cookies',
      { SESSION_COOKIE_SAMESITE: 'none' },
      ['Invalid configuration: SESSION_COOKIE_SAMESITE: none requires SESSION_COOKIE_SECURE=true (browsers drop it otherwise)'],
    ],
    [
      'a __Host- cookie with a Domain',
      { SESSION_COOKIE_NAME: '__Host-sid', SESSION_COOKIE_SECURE: 'true', SESSION_COOKIE_DOMAIN: 'example.com' },
      ['Invalid configuration: SESSION_COOKIE_NAME: a __Host- cookie must not have SESSION_COOKIE_DOMAIN'],
    ],
    [
      'production with a short secret and no public origin',
      { NODE_ENV: 'production', SESSION_SECRET: 'short-secret' },
      [
        'Invalid configuration: SESSION_SECRET: every secret must be at least 32 characters in production',
        'Invalid configuration: PUBLIC_ORIGIN: is required in production (used to refuse cross-site requests)',
      ],
    ],
    [
      'a data encryption key that is a passphrase, not 32 random bytes',
      { DATA_ENCRYPTION_KEY: SECRET },
      ['Invalid configuration: DATA_ENCRYPTION_KEY: every key must be 32 random bytes, written as 64 hex digits or in base64'],
    ],
    [
      'missing required variables',
      { DATABASE_URL: '', REDIS_URL: '' },
      ['Invalid configuration: DATABASE_URL: is required', 'Invalid configuration: REDIS_URL: is required (unless REDIS_SENTINELS is set)'],
    ],
  ])('exits 1 on %s, one line per problem naming the variable, no value', async (_case, env, lines) => {
    const { code, stderr, stdout } = await runApp({ ...valid, ...env });
    expect(code).toBe(1);
    expect(stderr.trim().split('\n')).toEqual(lines);
    expect(stdout).toBe('');
    expect(stderr).not.toContain(SECRET);
    expect(stderr).not.toContain('short-secret');
  });
});
