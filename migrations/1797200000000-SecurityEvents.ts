import type { MigrationInterface, QueryRunner } from 'typeorm';

export class SecurityEvents1797200000000 implements MigrationInterface {
  name = 'SecurityEvents1797200000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    // The security activity log (docs/activity.md): what happened to an account, when, from which
    // address and device, and from which session (its public handle, a SHA-256 of the id it signed
    // in on: never the id). `detail` is a few words of context, such as how a sign-in was made,
    // never a secret. Failed sign-ins and wrong second factors are one row per burst: `burst`
    // numbers the window they fell in, the unique index below makes a failure in the same window
    // count into that row (`count`) instead of adding one, so no request rate fills the table.
    // Rows are kept 90 days (activity/retention.ts).
    await queryRunner.query(`
      CREATE TABLE security_events (
        id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
        type varchar(32) NOT NULL CHECK (type IN (
          'sign-in', 'sign-in-failed', 'second-factor-failed', 'password-changed', 'password-reset',
          'email-verified', 'totp-enabled', 'totp-disabled', 'recovery-codes-created', 'recovery-code-used',
          'passkey-added', 'passkey-removed', 'session-revoked', 'sessions-revoked'
        )),
        at timestamptz NOT NULL,
        ip inet,
        device varchar(60),
        session_handle varchar(64),
        detail jsonb CHECK (pg_column_size(detail) <= 256),
        count integer NOT NULL DEFAULT 1 CHECK (count >= 1),
        burst bigint CHECK ((burst IS NOT NULL) = (type IN ('sign-in-failed', 'second-factor-failed')))
      )`);
    // A user's page of the log, newest first, and the (at, id) cursor of the next one.
    await queryRunner.query(`CREATE INDEX security_events_user_at ON security_events (user_id, at DESC, id DESC)`);
    await queryRunner.query(`CREATE UNIQUE INDEX security_events_burst ON security_events (user_id, type, burst) WHERE burst IS NOT NULL`);
    // The retention job's range delete, across users.
    await queryRunner.query(`CREATE INDEX security_events_at ON security_events (at)`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE security_events`);
  }
}
