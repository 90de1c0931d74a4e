import { Injectable, Logger, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import PgBoss from 'pg-boss';
import type { AppConfig } from '../config/config.schema.js';
import { MAIL_RETRY } from './mail-retry.js';

/**
 * What a queued mail job carries: who to write to and why, never a token. The worker issues the
 * token when it sends (recovery-mail.ts), so no link that opens an account is ever stored.
 */
export type MailJob = { kind: 'password-reset'; email: string } | { kind: 'verify-email'; userId: string };

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
    } as PgBoss.ConstructorOptions);
    this.boss.on('error', (error) => this.logger.warn(`Mail queue: ${error.message}`));
  }

  async onModuleInit(): Promise<void> {
    await this.boss.start();
    const options = { ...MAIL_RETRY, expireInSeconds: 60, retentionMinutes: 24 * 60 };
    await retryOnDeadlock(async () => {
      await this.boss.createQueue(QUEUE, { name: QUEUE, ...options });
      await this.boss.updateQueue(QUEUE, { name: QUEUE, ...options }); // a changed policy applies to an existing queue
    });
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
   * A loop of our own around fetch/complete/fail rather than pg-boss's work(): pg-boss 10 leaves
   * the promise of its own complete()/fail() unhandled, so a Postgres that goes away while a mail
   * is being sent would crash the process. Here every step's failure is caught and logged; a job
   * that could not be marked done is retried when it expires (at least once, never lost).
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
    const ids = (status: PromiseSettledResult<void>['status']) => jobs.filter((_, i) => results[i].status === status).map((job) => job.id);
    const [sent, failed] = [ids('fulfilled'), ids('rejected')];
    await Promise.all([sent.length && this.boss.complete(QUEUE, sent), failed.length && this.boss.fail(QUEUE, failed)]);
    return jobs.length;
  }

  /** Waits (briefly) for a send in progress, so it is not cut off half-way; the rest stays queued. */
  async onApplicationShutdown(): Promise<void> {
    this.polling = false;
    this.wake?.();
    await Promise.race([this.loop, new Promise((resolve) => setTimeout(resolve, SHUTDOWN_WAIT_MS).unref())]);
    await this.boss.stop({ graceful: true, timeout: 1_000, wait: true });
  }
}

/**
 * Two app instances starting together on a new database both create the queue (a table of its
 * own), and Postgres may pick one of them as a deadlock victim (SQLSTATE 40P01): the other has
 * created it by then, so trying again finds it there.
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
