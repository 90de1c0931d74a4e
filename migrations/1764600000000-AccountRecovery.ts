import type { MigrationInterface, QueryRunner } from 'typeorm';

export class AccountRecovery1764600000000 implements MigrationInterface {
  name = 'AccountRecovery1764600000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE users ADD COLUMN email_verified_at timestamptz`);
    // Reset and verification tokens. Only the SHA-256 of a token is kept: someone who reads this
    // table (a backup, an SQL injection elsewhere) holds nothing that opens an account. A token
    // goes when it is used, and with its user.
    await queryRunner.query(`
      CREATE TABLE account_tokens (
        token_hash bytea PRIMARY KEY CHECK (length(token_hash) = 32),
        user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
        purpose varchar(16) NOT NULL CHECK (purpose IN ('password-reset', 'verify-email')),
        created_at timestamptz NOT NULL,
        expires_at timestamptz NOT NULL
      )`);
    await queryRunner.query(`CREATE INDEX account_tokens_user_purpose ON account_tokens (user_id, purpose)`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE account_tokens`);
    await queryRunner.query(`ALTER TABLE users DROP COLUMN email_verified_at`);
  }
}
