import type { MigrationInterface, QueryRunner } from 'typeorm';

export class Passkeys1797100000000 implements MigrationInterface {
  name = 'Passkeys1797100000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    // A user's passkeys (docs/passkeys.md): WebAuthn credentials, found by the id the
    // authenticator gave them (at most 1023 bytes, WebAuthn Level 3). public_key is the COSE key
    // as registered; sign_count the authenticator's counter as last accepted, advanced by a
    // compare-and-set (0 for ever with synced passkeys, which keep no counter); backed_up the
    // authenticator's BS flag as last seen. No attestation is kept: attestation is `none`.
    await queryRunner.query(`
      CREATE TABLE passkeys (
        credential_id bytea PRIMARY KEY CHECK (length(credential_id) BETWEEN 1 AND 1023),
        user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
        public_key bytea NOT NULL,
        sign_count bigint NOT NULL CHECK (sign_count >= 0),
        transports text[] NOT NULL DEFAULT '{}',
        backed_up boolean NOT NULL,
        name varchar(64) NOT NULL,
        created_at timestamptz NOT NULL,
        last_used_at timestamptz
      )`);
    await queryRunner.query(`CREATE INDEX passkeys_user ON passkeys (user_id)`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE passkeys`);
  }
}
