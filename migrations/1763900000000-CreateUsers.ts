import type { MigrationInterface, QueryRunner } from 'typeorm';

export class CreateUsers1763900000000 implements MigrationInterface {
  name = 'CreateUsers1763900000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    // Emails are stored lower-cased by the app; the index on lower(email) makes uniqueness
    // case-insensitive even for rows written by something else, and the check keeps the rule
    // visible in the schema.
    await queryRunner.query(`
      CREATE TABLE users (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        email varchar(254) NOT NULL CHECK (email = lower(email)),
        password_hash text NOT NULL,
        display_name varchar(80) NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        last_login_at timestamptz,
        password_changed_at timestamptz NOT NULL DEFAULT now()
      )`);
    await queryRunner.query(`CREATE UNIQUE INDEX users_email_lower_key ON users (lower(email))`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE users`);
  }
}
