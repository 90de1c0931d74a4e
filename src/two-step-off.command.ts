import { setTimeout as sleep } from 'node:timers/promises';
import { type DynamicModule, type INestApplicationContext, type LoggerService, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { DataSource, type EntityManager } from 'typeorm';
import { SecurityEvents } from './activity/security-events.js';
import { coreModules } from './app.module.js';
import { type AppConfig, parseConfig } from './config/config.schema.js';
import { MailModule } from './mail/mail.module.js';
import { SecurityNotices } from './mail/security-notices.js';
import { RedisModule } from './redis/redis.module.js';
import { SessionModule } from './session/session.module.js';
import { UserSessions } from './session/user-sessions.js';
import { normalizeEmail } from './users/email.js';
import { UsersModule } from './users/users.module.js';
import { UsersService } from './users/users.service.js';

export const USAGE = `Usage: two-step-off <email>

Turns two-step sign-in off for the user with this email, for someone who lost both the
authenticator and the recovery codes: removes the authenticator and the recovery codes, ends
every session of the user, and mails the owner a notice. It reads the app's configuration from
the environment, as the app does (docs/operations.md, Turning a user's two-step sign-in off).

Exit code: 0 done, or two-step sign-in was not on; 1 no user has that email, or a failure (then
two-step sign-in is still on: run it again); 2 a usage error.`;

/** Where the command writes: one line at a time. */
export interface CommandOutput {
  out(line: string): void;
  err(line: string): void;
}

/**
 * The app's own Postgres, Redis (single or Sentinel), session store and mail queue, and nothing
 * else: no HTTP server, no password hashing threads, and no mail worker, so the command sends no
 * mail itself; the app's workers send the notice it queues.
 */
@Module({})
class TwoStepOffModule {
  static forRoot(config: AppConfig): DynamicModule {
    return { module: TwoStepOffModule, imports: [...coreModules(config), RedisModule, UsersModule, SessionModule, MailModule] };
  }
}

/** How long the command waits for Postgres and Redis to answer before it gives up, having changed nothing. */
const CONNECT_DEADLINE_MS = 10_000;

/** The log lines the operator needs: Redis or the mail queue in trouble, the notice not queued. */
const REPORTED_CONTEXTS = new Set(['Redis', 'MailQueue', 'SecurityNotices']);

/** Those warnings and errors to `err`, nothing else: `out` has the one line that says what was done. */
function stderrLogger(output: CommandOutput): LoggerService {
  const write = (message: unknown, context?: unknown) => {
    if (typeof context === 'string' && REPORTED_CONTEXTS.has(context)) output.err(String(message));
  };
  return { log: () => undefined, warn: write, error: write };
}

/** The context, or a rejection when Postgres or Redis does not answer in time (the app itself would wait). */
async function startContext(config: AppConfig, output: CommandOutput): Promise<INestApplicationContext> {
  const starting = NestFactory.createApplicationContext(TwoStepOffModule.forRoot(config), {
    logger: stderrLogger(output),
    abortOnError: false,
  });
  // Past the deadline the context may still come up, or fail, later: the entry exits regardless.
  starting.catch(() => undefined);
  const deadline = sleep(CONNECT_DEADLINE_MS, undefined, { ref: false }).then(() => {
    throw new Error(`Postgres or Redis did not answer within ${CONNECT_DEADLINE_MS / 1000} s`);
  });
  return Promise.race([starting, deadline]);
}

const messageOf = (error: unknown) => (error instanceof Error ? error.message : String(error));

/** TypeORM answers a DELETE on Postgres with [rows, row count]. */
async function deleteRows(m: EntityManager, sql: string, userId: string): Promise<number> {
  return ((await m.query(sql, [userId])) as [unknown[], number])[1];
}

/**
 * `two-step-off <email>`: the exit code, having written one line saying what was done (or why
 * not). The rows are deleted and the sessions ended in one transaction, committed only once
 * every session is gone: after a failure two-step sign-in is still on (some sessions may have
 * ended), and running the command again does it all. While it runs, the deleted rows stay locked, so a sign-in that
 * tries to spend a code meanwhile (a compare-and-set update of those rows: the accepted time
 * step, a recovery code's used_at) waits for the commit and then finds none.
 */
export async function runTwoStepOff(args: string[], env: Record<string, string | undefined>, output: CommandOutput): Promise<number> {
  if (args.length === 1 && (args[0] === '--help' || args[0] === '-h')) {
    output.out(USAGE);
    return 0;
  }
  if (args.length !== 1 || args[0].startsWith('-') || !args[0].includes('@')) {
    output.err(USAGE);
    return 2;
  }
  const email = normalizeEmail(args[0]);
  const parsed = parseConfig(env);
  if (!parsed.ok) {
    // As the app at start: one line per problem, naming the variable and never its value.
    for (const problem of parsed.problems) output.err(`Invalid configuration: ${problem}`);
    return 1;
  }

  let context: INestApplicationContext | undefined;
  try {
    context = await startContext(parsed.config, output);
    const user = await context.get(UsersService).findByEmail(email);
    if (!user) {
      output.err(`No user has the email ${email}: nothing changed`);
      return 1;
    }
    const sessions = context.get(UserSessions);
    const events = context.get(SecurityEvents);
    const wasOn = await context.get(DataSource).transaction(async (m) => {
      if ((await deleteRows(m, `DELETE FROM user_totp WHERE user_id = $1`, user.id)) === 0) return false;
      await deleteRows(m, `DELETE FROM recovery_codes WHERE user_id = $1`, user.id);
      // In the owner's activity log, made by no address, device or session of theirs.
      await events.record(m, user.id, 'totp-disabled', {}, { by: 'operator' });
      // Whoever holds a session may be the one who took the authenticator: none outlives this.
      await sessions.revokeAll(user.id);
      return true;
    });
    if (!wasOn) {
      output.out(`Two-step sign-in is not on for ${email} (user ${user.id}): nothing changed`);
      return 0;
    }
    // After the commit, as for every security notice; should it fail, SecurityNotices says so on stderr.
    await context.get(SecurityNotices).notify(user.id, 'totp-disabled');
    output.out(`Two-step sign-in turned off for ${email} (user ${user.id}): authenticator and recovery codes removed, every session ended`);
    return 0;
  } catch (error) {
    output.err(`Two-step sign-in not turned off: ${messageOf(error)}`);
    return 1;
  } finally {
    await context?.close().catch((error: unknown) => output.err(`While closing connections: ${messageOf(error)}`));
  }
}
