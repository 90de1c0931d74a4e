import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The mail queue's pg-boss 12 cannot start on the schema pg-boss 10 made (schema version 24; its
 * own migrations begin at 25), so an app upgraded in place would not start. This sets that schema
 * aside as `pgboss_v10`: pg-boss creates its own at start, and the mail queue queues the mails still
 * waiting there again, then drops it (docs/security.md, Account recovery). A new database, or one already
 * on pg-boss 12, is left as it is.
 */
export class PgBossV10Aside1796500000000 implements MigrationInterface {
  name = 'PgBossV10Aside1796500000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    const [{ present }] = (await queryRunner.query(`SELECT to_regclass('pgboss.version') IS NOT NULL AS present`)) as [
      { present: boolean },
    ];
    if (!present) return;
    const [{ version }] = (await queryRunner.query(`SELECT version FROM pgboss.version`)) as [{ version: number }];
    if (version < 25) await queryRunner.query(`ALTER SCHEMA pgboss RENAME TO pgboss_v10`);
  }

  async down(): Promise<void> {
    // Nothing to undo: pg-boss 10 cannot read the schema pg-boss 12 made either.
  }
}
