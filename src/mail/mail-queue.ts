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
  private workerId: string | undefined;

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
    await this.boss.createQueue(QUEUE, { name: QUEUE, ...options });
    await this.boss.updateQueue(QUEUE, { name: QUEUE, ...options }); // a changed policy applies to an existing queue
  }

  async enqueue(job: MailJob): Promise<void> {
    await this.boss.send(QUEUE, job);
    // This instance's worker looks at once instead of at its next poll.
    if (this.workerId) this.boss.notifyWorker(this.workerId);
  }

  /**
   * Runs `handler` for each job, up to BATCH at a time; a throw is a failed attempt of that job
   * alone, retried per MAIL_RETRY (pg-boss would otherwise fail, and later resend, the whole batch).
   */
  async work(handler: (attempt: MailAttempt) => Promise<void>): Promise<void> {
    this.workerId = await this.boss.work<MailJob>(
      QUEUE,
      { includeMetadata: true, batchSize: BATCH, pollingIntervalSeconds: 1 },
      async (jobs) => {
        const results = await Promise.allSettled(
          jobs.map((job) => handler({ job: job.data, retryCount: job.retryCount, retryLimit: job.retryLimit })),
        );
        const failed = jobs.filter((_, i) => results[i].status === 'rejected').map((job) => job.id);
        // Failed explicitly; pg-boss completes the rest when this returns (only active jobs).
        if (failed.length) await this.boss.fail(QUEUE, failed);
      },
    );
  }

  /** Waits (briefly) for a send in progress, so it is not cut off half-way; the rest stays queued. */
  async onApplicationShutdown(): Promise<void> {
    await this.boss.stop({ graceful: true, timeout: 1_000, wait: true });
  }
}
