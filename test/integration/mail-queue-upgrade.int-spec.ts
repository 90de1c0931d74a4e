/**
 * An app upgraded in place from pg-boss 10 (docs/security.md, Account recovery): the migration sets the old
 * schema aside, and the mail queue queues the mails still waiting there again. The old schema is
 * the part of pg-boss 10's that is read: its version, and the job table's columns used here.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { ConfigService } from '@nestjs/config';
import pg from 'pg';
import { DataSource } from 'typeorm';
import { PgBossV10Aside1796500000000 } from '../../migrations/1796500000000-PgBossV10Aside.js';
import type { AppConfig } from '../../src/config/config.schema.js';
import { dataSourceOptions } from '../../src/database/data-source.js';
import { type MailAttempt, type MailJob, MailQueue } from '../../src/mail/mail-queue.js';
import { type Services, startServices } from './services.js';

let services: Services;
let db: pg.Client;

beforeAll(async () => {
  services = await startServices();
  db = new pg.Client({ connectionString: services.databaseUrl });
  await db.connect();
});
afterAll(async () => {
  await db.end();
  await services.stop();
});

const schemas = async (): Promise<string[]> =>
  (await db.query<{ nspname: string }>(`SELECT nspname FROM pg_namespace WHERE nspname LIKE 'pgboss%' ORDER BY 1`)).rows.map(
    (r) => r.nspname,
  );

async function migrate(): Promise<void> {
  const source = new DataSource(dataSourceOptions(services.databaseUrl));
  await source.initialize();
  const runner = source.createQueryRunner();
  try {
    await new PgBossV10Aside1796500000000().up(runner);
  } finally {
    await runner.release();
    await source.destroy();
  }
}

describe('pg-boss 10 -> 12', () => {
  it('sets the pg-boss 10 schema aside, queues its waiting mails again, and drops it', async () => {
    await db.query(`
      CREATE SCHEMA pgboss;
      CREATE TABLE pgboss.version (version int PRIMARY KEY);
      INSERT INTO pgboss.version VALUES (24);
      CREATE TYPE pgboss.job_state AS ENUM ('created', 'retry', 'active', 'completed', 'cancelled', 'failed');
      CREATE TABLE pgboss.job (
        id uuid PRIMARY KEY, name text NOT NULL, data jsonb, state pgboss.job_state NOT NULL, start_after timestamptz NOT NULL
      );
      INSERT INTO pgboss.job VALUES
        ('00000000-0000-4000-8000-000000000001', 'account-mail', '{"kind":"password-reset","email":"waiting@example.com"}', 'created', now()),
        ('00000000-0000-4000-8000-000000000002', 'account-mail', '{"kind":"verify-email","userId":"u-2"}', 'retry', now()),
        ('00000000-0000-4000-8000-000000000003', 'account-mail', '{"kind":"password-reset","email":"sent@example.com"}', 'completed', now()),
        ('00000000-0000-4000-8000-000000000004', 'other-queue', '{}', 'created', now());
    `);

    await migrate();
    expect(await schemas()).toEqual(['pgboss_v10']);

    const config = { get: () => services.databaseUrl } as unknown as ConfigService<AppConfig, true>;
    const queue = new MailQueue(config);
    await queue.onModuleInit();
    const received: MailJob[] = [];
    try {
      expect(await schemas()).toEqual(['pgboss']);
      await new Promise<void>((resolve) => {
        queue.work(async (attempt: MailAttempt) => {
          received.push(attempt.job);
          if (received.length === 2) resolve();
        });
      });
    } finally {
      await queue.onApplicationShutdown();
    }
    expect(received).toEqual(
      expect.arrayContaining([
        { kind: 'password-reset', email: 'waiting@example.com' },
        { kind: 'verify-email', userId: 'u-2' },
      ]),
    );
    expect(received).toHaveLength(2);

    // Run again on pg-boss 12's own schema, the migration leaves it alone.
    await migrate();
    expect(await schemas()).toEqual(['pgboss']);
  });
});
