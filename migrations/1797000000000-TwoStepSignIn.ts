import type { MigrationInterface, QueryRunner } from 'typeorm';

export class TwoStepSignIn1797000000000 implements MigrationInterface {
  name = 'TwoStepSignIn1797000000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    // A user's authenticator (README, Two-step sign-in). The secret only encrypted under
    // DATA_ENCRYPTION_KEY (`v1.<key id>.…`); last_step is the last RFC 6238 time step accepted,
    // advanced by a compare-and-set so that each code signs in once. A row exists only once the
    // first code confirmed it: a pending enrolment lives in the session.
    await queryRunner.query(`
      CREATE TABLE user_totp (
        user_id uuid PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
        secret_encrypted text NOT NULL,
        last_step bigint NOT NULL,
        enabled_at timestamptz NOT NULL
      )`);
    // Recovery codes: only the SHA-256 of each (a code carries 120 random bits: no password hash
    // needed, docs/security.md), used_at set once by a compare-and-set. Regenerating replaces the set.
    await queryRunner.query(`
      CREATE TABLE recovery_codes (
        code_hash bytea PRIMARY KEY CHECK (length(code_hash) = 32),
        user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
        created_at timestamptz NOT NULL,
        used_at timestamptz
      )`);
    await queryRunner.query(`CREATE INDEX recovery_codes_user ON recovery_codes (user_id)`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE recovery_codes`);
    await queryRunner.query(`DROP TABLE user_totp`);
  }
}
