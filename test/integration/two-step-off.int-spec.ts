/**
 * The operator's command that turns two-step sign-in off (docs/operations.md, Turning a user's
 * two-step sign-in off), on real Postgres and Redis, next to the app whose sessions it ends. A user is enrolled by
 * writing the rows directly: the command only deletes them, whatever the secret column holds.
 */
import { spawn } from 'node:child_process';
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it, jest } from '@jest/globals';
import { MailQueue } from '../../src/mail/mail-queue.js';
import { runTwoStepOff, USAGE } from '../../src/two-step-off.command.js';
import { Client, signedInClient } from '../../tools/client/client.js';
import { inProcessSuite } from './in-process-app.js';

const SESSION_EXPIRED = { statusCode: 401, error: 'Unauthorized', message: 'Session expired' };

const inProcess = inProcessSuite();

/** The app's configuration, as the operator's shell (or the app's container) has it. */
function appEnv(overrides: Record<string, string | undefined> = {}): Record<string, string | undefined> {
  return {
    NODE_ENV: 'test',
    DATABASE_URL: inProcess.services.databaseUrl,
    REDIS_URL: inProcess.services.redisUrl,
    SESSION_SECRET: 'in-process tier secret, at least 32 characters long',
    DATA_ENCRYPTION_KEY: randomBytes(32).toString('base64'),
    SMTP_URL: 'smtp://127.0.0.1:9',
    ...overrides,
  };
}

interface Run {
  code: number;
  out: string[];
  err: string[];
}

async function twoStepOff(args: string[], env = appEnv()): Promise<Run> {
  const run: Run = { code: -1, out: [], err: [] };
  run.code = await runTwoStepOff(args, env, { out: (line) => run.out.push(line), err: (line) => run.err.push(line) });
  return run;
}

/** A signed-in user with two-step sign-in on (an authenticator and 10 recovery codes), and a second session of theirs. */
async function enrolledUser() {
  const { client, user, json } = await signedInClient(inProcess.target);
  const other = new Client(inProcess.target);
  expect((await other.post('/api/auth/login', { email: user.email, password: user.password })).status).toBe(200);
  await inProcess.db.query(
    `INSERT INTO user_totp (user_id, secret_encrypted, last_step, enabled_at) VALUES ($1, 'v1.test.not-a-secret', 0, now())`,
    [json.id],
  );
  for (let i = 0; i < 10; i++) {
    await inProcess.db.query(`INSERT INTO recovery_codes (code_hash, user_id, created_at) VALUES ($1, $2, now())`, [
      createHash('sha256').update(randomUUID()).digest(),
      json.id,
    ]);
  }
  return { id: json.id, email: user.email, sessions: [client, other] };
}

async function secondFactorRows(userId: string): Promise<{ totp: number; codes: number }> {
  const count = async (table: string) =>
    Number((await inProcess.db.query(`SELECT count(*) FROM ${table} WHERE user_id = $1`, [userId])).rows[0].count);
  return { totp: await count('user_totp'), codes: await count('recovery_codes') };
}

/** The security notices queued for this user (registering queued a verification mail too). */
async function noticesQueued(userId: string): Promise<unknown[]> {
  const { rows } = await inProcess.db.query<{ data: unknown }>(
    `SELECT data FROM pgboss.job WHERE name = 'account-mail' AND data->>'kind' = 'security-notice' AND data->>'userId' = $1`,
    [userId],
  );
  return rows.map((row) => row.data);
}

const profileStatus = async (client: Client) => (await client.get('/api/profile')).status;

describe('two-step-off <email>', () => {
  it('removes the authenticator and the recovery codes, ends every session of the user, queues the notice mail; exit 0', async () => {
    const alice = await enrolledUser();
    const bob = await enrolledUser();

    // The email as an operator may type it: the account is found all the same.
    const run = await twoStepOff([` ${alice.email.toUpperCase()} `]);

    expect(run).toEqual({
      code: 0,
      out: [
        `Two-step sign-in turned off for ${alice.email} (user ${alice.id}): authenticator and recovery codes removed, every session ended`,
      ],
      err: [],
    });
    expect(await secondFactorRows(alice.id)).toEqual({ totp: 0, codes: 0 });
    for (const client of alice.sessions) {
      const res = await client.get('/api/profile');
      expect([res.status, res.json()]).toEqual([401, SESSION_EXPIRED]);
    }
    expect(await inProcess.redis.exists(`user-sessions:${alice.id}`)).toBe(0);
    expect(await noticesQueued(alice.id)).toEqual([
      { kind: 'security-notice', userId: alice.id, change: 'totp-disabled', at: expect.any(String) },
    ]);
    // In her activity log, made by no address, device or session of hers (docs/activity.md).
    const logged = await inProcess.db.query(
      `SELECT ip, device, session_handle, detail FROM security_events WHERE user_id = $1 AND type = 'totp-disabled'`,
      [alice.id],
    );
    expect(logged.rows).toEqual([{ ip: null, device: null, session_handle: null, detail: { by: 'operator' } }]);
    // Nobody else's.
    expect(await secondFactorRows(bob.id)).toEqual({ totp: 1, codes: 10 });
    for (const client of bob.sessions) expect(await profileStatus(client)).toBe(200);
    expect(await noticesQueued(bob.id)).toEqual([]);
  });

  it('says so when two-step sign-in is not on, and changes nothing; exit 0', async () => {
    const { client, json } = await signedInClient(inProcess.target);
    const email = (await client.get('/api/profile')).json<{ email: string }>().email;

    expect(await twoStepOff([email])).toEqual({
      code: 0,
      out: [`Two-step sign-in is not on for ${email} (user ${json.id}): nothing changed`],
      err: [],
    });
    expect(await profileStatus(client)).toBe(200);
    expect(await noticesQueued(json.id)).toEqual([]);
  });

  it('an email no user has: exit 1', async () => {
    expect(await twoStepOff(['nobody-at-all@example.com'])).toEqual({
      code: 1,
      out: [],
      err: ['No user has the email nobody-at-all@example.com: nothing changed'],
    });
  });

  it('Redis refusing to end the sessions: nothing changed, exit 1; run again, it is done', async () => {
    const alice = await enrolledUser();
    // A Redis user that may connect but not prune a user's session index: the first step of ending sessions.
    const name = `no-prune-${randomUUID()}`;
    await inProcess.redis.sendCommand(['ACL', 'SETUSER', name, 'on', '>no-prune-password', '~*', '&*', '+@all', '-zremrangebyscore']);
    try {
      const url = new URL(inProcess.services.redisUrl);
      [url.username, url.password] = [name, 'no-prune-password'];
      const run = await twoStepOff([alice.email], appEnv({ REDIS_URL: url.href }));

      expect(run.code).toBe(1);
      expect(run.out).toEqual([]);
      expect(run.err).toEqual([expect.stringMatching(/^Two-step sign-in not turned off: .*zremrangebyscore/i)]);
      expect(run.err.join('\n')).not.toContain('no-prune-password');
      expect(await secondFactorRows(alice.id)).toEqual({ totp: 1, codes: 10 });
      for (const client of alice.sessions) expect(await profileStatus(client)).toBe(200);
      expect(await noticesQueued(alice.id)).toEqual([]);
    } finally {
      await inProcess.redis.sendCommand(['ACL', 'DELUSER', name]);
    }

    expect((await twoStepOff([alice.email])).code).toBe(0);
    expect(await secondFactorRows(alice.id)).toEqual({ totp: 0, codes: 0 });
    for (const client of alice.sessions) expect(await profileStatus(client)).toBe(401);
  });

  it('the notice mail not queued: said on stderr, the rest done; exit 0', async () => {
    const alice = await enrolledUser();
    const enqueue = jest.spyOn(MailQueue.prototype, 'enqueue').mockRejectedValueOnce(new Error('Postgres went away'));
    try {
      const run = await twoStepOff([alice.email]);
      expect(run.code).toBe(0);
      expect(run.out).toEqual([expect.stringMatching(/^Two-step sign-in turned off for /)]);
      expect(run.err).toEqual([`totp-disabled notice for user ${alice.id} not queued: Postgres went away`]);
    } finally {
      enqueue.mockRestore();
    }
    expect(await secondFactorRows(alice.id)).toEqual({ totp: 0, codes: 0 });
    for (const client of alice.sessions) expect(await profileStatus(client)).toBe(401);
  });

  it.each([
    ['no email', []],
    ['two emails', ['a@example.com', 'b@example.com']],
    ['an option', ['--force']],
    ['something that is not an email', ['alice']],
  ])('a usage error (%s): the usage on stderr, exit 2', async (_, args) => {
    expect(await twoStepOff(args)).toEqual({ code: 2, out: [], err: [USAGE] });
  });

  it('--help: the usage on stdout, exit 0', async () => {
    expect(await twoStepOff(['--help'])).toEqual({ code: 0, out: [USAGE], err: [] });
  });

  it('an invalid configuration: one line per problem, naming the variable and never its value; exit 1', async () => {
    const run = await twoStepOff(['a@example.com'], appEnv({ DATABASE_URL: 'mysql://root:hunter2@db/app', SMTP_URL: undefined }));
    expect(run).toEqual({
      code: 1,
      out: [],
      err: ['Invalid configuration: DATABASE_URL: must be a postgres:// URL', 'Invalid configuration: SMTP_URL: is required'],
    });
  });
});

describe('node src/two-step-off.ts (the entry the image runs from dist/)', () => {
  /** TypeScript loaded as the build would compile it (tools/typescript-loader.js): no build needed. */
  const LOADER = `data:text/javascript,import { register } from 'node:module'; register(${JSON.stringify(
    pathToFileURL(path.resolve('tools/typescript-loader.js')).href,
  )});`;

  async function entry(args: string[], env: Record<string, string | undefined>) {
    const child = spawn(process.execPath, ['--import', LOADER, 'src/two-step-off.ts', ...args], {
      env: { PATH: process.env.PATH ?? '', ...env } as NodeJS.ProcessEnv,
    });
    let [stdout, stderr] = ['', ''];
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 50_000);
    const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
    clearTimeout(timer);
    return { code, stdout, stderr };
  }

  it('exits with the command’s code, its one line on stdout', async () => {
    const alice = await enrolledUser();
    expect(await entry([alice.email], appEnv())).toEqual({
      code: 0,
      stdout: `Two-step sign-in turned off for ${alice.email} (user ${alice.id}): authenticator and recovery codes removed, every session ended\n`,
      stderr: '',
    });
    expect(await secondFactorRows(alice.id)).toEqual({ totp: 0, codes: 0 });
  }, 60_000);

  it('Redis not answering: gives up after 10 s, saying why, having changed nothing; exit 1', async () => {
    const alice = await enrolledUser();
    const run = await entry([alice.email], appEnv({ REDIS_URL: 'redis://127.0.0.1:9' }));
    expect(run).toEqual({
      code: 1,
      stdout: '',
      stderr:
        'Redis unavailable: connect ECONNREFUSED 127.0.0.1:9\nTwo-step sign-in not turned off: Postgres or Redis did not answer within 10 s\n',
    });
    expect(await secondFactorRows(alice.id)).toEqual({ totp: 1, codes: 10 });
  }, 60_000);
});
