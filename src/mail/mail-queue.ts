import { Injectable, Logger, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { type ConstructorOptions, PgBoss } from 'pg-boss';
import type { AppConfig } from '../config/config.schema.js';
import { MAIL_RETRY } from './mail-retry.js';

/**
 * What a queued mail job carries: who to write to and why, never a token. The worker issues the
 * token when it sends (recovery-mail.ts), so no link that opens an account is ever stored. A
 * security notice carries when the change was made (ISO 8601): it may be sent minutes later; a
 * new-device mail when and where the sign-in was (the device's name and the client address).
 */
export type MailJob =
  | { kind: 'password-reset'; email: string }
  | { kind: 'verify-email'; userId: string }
  | { kind: 'security-notice'; userId: string; change: SecurityChange; at: string }
  | { kind: 'new-device'; userId: string; device: string | null; ip: string | null; at: string };

/** A change to how the account signs in, of which its owner is told by mail (security-notices.ts). */
export type SecurityChange =
  'password-changed' | 'password-reset' | 'totp-enabled' | 'totp-disabled' | 'recovery-codes-created' | 'passkey-added' | 'passkey-removed';

export interface MailAttempt {
  job: MailJob;
  /** 0 for the first attempt. */
  retryCount: number;
  retryLimit: number;
}

const QUEUE = 'account-mail';
/** Mails one instance sends at once. */
const BATCH = 10;
/** How often an idle worker looks for due jobs (retries come due while nobody enqueues). */
const POLL_INTERVAL_MS = 1_000;
/** At shutdown, how long a batch being sent may take to finish. */
const SHUTDOWN_WAIT_MS = 1_000;

/**
 * The durable mail queue: pg-boss on the app's own Postgres (its tables in the `pgboss` schema,
 * which it creates and migrates itself at start). A request only inserts a job — one INSERT,
 * whatever the mail server is doing — and a worker in every app instance sends it, retrying with
 * backoff (mail-retry.ts). A job outlives the process: one interrupted mid-send is retried after
 * `expireInSeconds`.
 */
@Injectable()
export class MailQueue implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger('MailQueue');
  private readonly boss: PgBoss;
  private polling = false;
  private loop: Promise<void> | undefined;
  /** Ends the current wait between polls early (a job was just queued here, or shutdown). */
  private wake: (() => void) | undefined;

  constructor(config: ConfigService<AppConfig, true>) {
    this.boss = new PgBoss({
      connectionString: config.get('databaseUrl', { infer: true }),
      application_name: 'gatehouse-mail',
      max: 3,
      // As for the app's own pool (data-source.ts): an unreachable or frozen Postgres fails a
      // request with 503 in time instead of holding it.
      connectionTimeoutMillis: 1_000,
      query_timeout: 1_500,
      schedule: false,
      // No secret in these messages: pg errors do not quote the connection string.
    } as ConstructorOptions);
    this.boss.on('error', (error) => this.logger.warn(`Mail queue: ${error.message}`));
  }

  async onModuleInit(): Promise<void> {
    await this.boss.start();
    const options = { ...MAIL_RETRY, expireInSeconds: 60, retentionSeconds: 24 * 60 * 60 };
    await retryOnDeadlock(async () => {
      await this.boss.createQueue(QUEUE, options);
      await this.boss.updateQueue(QUEUE, options); // a changed policy applies to an existing queue
    });
    await this.carryOverV10();
  }

  /**
   * Queues again the mails still waiting in pg-boss 10's schema, which a migration set aside
   * (migrations/1796500000000-PgBossV10Aside.ts), then drops it. Every instance may try at once:
   * a job keeps its id, and pg-boss ignores an id it already has. A failure leaves the old schema
   * for the next start.
   */
  private async carryOverV10(): Promise<void> {
    const db = this.boss.getDb();
    try {
      const found = await db.executeSql(`SELECT to_regclass('pgboss_v10.job') IS NOT NULL AS present`);
      if (!(found.rows[0] as { present: boolean }).present) return;
      const { rows } = await db.executeSql(
        `SELECT id, data, start_after FROM pgboss_v10.job WHERE name = $1 AND state IN ('created', 'retry', 'active')`,
        [QUEUE],
      );
      const jobs = (rows as { id: string; data: MailJob; start_after: Date }[]).map((row) => ({
        id: row.id,
        data: row.data,
        startAfter: row.start_after,
      }));
      if (jobs.length > 0) await this.boss.insert(QUEUE, jobs);
      await db.executeSql(`DROP SCHEMA IF EXISTS pgboss_v10 CASCADE`);
      this.logger.log(`Queued ${jobs.length} mail(s) again from pg-boss 10's schema, and dropped it`);
    } catch (error) {
      // Another instance dropped it meanwhile (42P01, 3F000), or Postgres failed: the mails wait.
      this.logger.warn(`Mail queue: pg-boss 10's schema not carried over: ${error instanceof Error ? error.message : String(error)}`);
    }
  }

  async enqueue(job: MailJob): Promise<void> {
    await this.boss.send(QUEUE, job);
    // This instance's worker looks at once instead of at its next poll.
    this.wake?.();
  }

  /**
   * Runs `handler` for each job, up to BATCH at a time; a throw is a failed attempt of that job
   * alone, retried per MAIL_RETRY.
   *
   * A loop of our own around fetch/complete/fail rather than pg-boss's work(), so that what a
   * Postgres going away mid-send does is plain to see: every step's failure is caught and logged,
   * and a job that could not be marked done is retried when it expires (at least once, never lost).
   */
  work(handler: (attempt: MailAttempt) => Promise<void>): void {
    this.polling = true;
    this.loop = (async () => {
      while (this.polling) {
        const found = await this.poll(handler).catch((error: unknown) => {
          this.logger.warn(`Mail queue: ${error instanceof Error ? error.message : String(error)}`);
          return 0;
        });
        if (found < BATCH)
          await new Promise<void>((resolve) => {
            const timer = setTimeout(resolve, POLL_INTERVAL_MS);
            this.wake = () => {
              clearTimeout(timer);
              resolve();
            };
          });
      }
    })();
  }

  /** One batch: fetch, send, then mark each job done or failed. Resolves with how many it found. */
  private async poll(handler: (attempt: MailAttempt) => Promise<void>): Promise<number> {
    const jobs = await this.boss.fetch<MailJob>(QUEUE, { batchSize: BATCH, includeMetadata: true });
    if (jobs.length === 0) return 0;
    const results = await Promise.allSettled(
      jobs.map((job) => handler({ job: job.data, retryCount: job.retryCount, retryLimit: job.retryLimit })),
    );
    // The jobs themselves, not their ids: pg-boss 12 then settles only the attempt fetched here, so a
    // send that outlived its expiry cannot complete or fail the retry another instance now holds.
    const settled = (status: PromiseSettledResult<void>['status']) => jobs.filter((_, i) => results[i].status === status);
    const [sent, failed] = [settled('fulfilled'), settled('rejected')];
    await Promise.all([sent.length && this.boss.complete(QUEUE, sent), failed.length && this.boss.fail(QUEUE, failed)]);
    return jobs.length;
  }

  /** Waits (briefly) for a send in progress, so it is not cut off half-way; the rest stays queued. */
  async onApplicationShutdown(): Promise<void> {
    this.polling = false;
    this.wake?.();
    await Promise.race([this.loop, new Promise((resolve) => setTimeout(resolve, SHUTDOWN_WAIT_MS).unref())]);
    await this.boss.stop({ graceful: true, timeout: 1_000 });
  }
}

/**
 * Two app instances starting together on a new database both create the queue, and Postgres
 * may pick one of them as a deadlock victim (SQLSTATE 40P01): the other has created it by then,
 * so trying again finds it there.
 */
async function retryOnDeadlock(work: () => Promise<void>, attempts = 5): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await work();
    } catch (error) {
      if ((error as { code?: string }).code !== '40P01' || attempt >= attempts) throw error;
      await new Promise((resolve) => setTimeout(resolve, 50 + Math.random() * 200));
    }
  }
}
