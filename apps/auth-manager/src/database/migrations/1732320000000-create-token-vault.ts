import type { MigrationInterface, QueryRunner } from 'typeorm';

export class CreateTokenVault1732320000000 implements MigrationInterface {
  name = 'CreateTokenVault1732320000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE vault_tokens (
        id uuid PRIMARY KEY,
        user_id varchar(255) NOT NULL,
        session_id varchar(255),
        token_type varchar(16) NOT NULL CHECK (token_type IN ('refresh', 'offline')),
        client_id varchar(255) NOT NULL,
        scope text NOT NULL,
        refresh_token_ciphertext text NOT NULL,
        refresh_token_digest varchar(64) NOT NULL CONSTRAINT vault_tokens_refresh_token_digest_key UNIQUE,
        refresh_token_expires_at timestamptz,
        access_token_ciphertext text,
        access_token_expires_at timestamptz,
        key_id varchar(32) NOT NULL,
        generation integer NOT NULL DEFAULT 0,
        created_at timestamptz NOT NULL,
        last_refreshed_at timestamptz,
        revoked_at timestamptz
      )`);
    await queryRunner.query('CREATE INDEX vault_tokens_user_id_idx ON vault_tokens (user_id)');
    await queryRunner.query(
      'CREATE INDEX vault_tokens_session_id_idx ON vault_tokens (session_id) WHERE session_id IS NOT NULL',
    );
    await queryRunner.query('CREATE INDEX vault_tokens_key_id_idx ON vault_tokens (key_id)');
    // Offline-flow state tokens already used at the callback: a replayed state is refused by the primary key.
    await queryRunner.query(`
      CREATE TABLE offline_consumed_states (
        jti varchar(64) PRIMARY KEY,
        expires_at timestamptz NOT NULL
      )`);
    await queryRunner.query(
      'CREATE INDEX offline_consumed_states_expires_at_idx ON offline_consumed_states (expires_at)',
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('DROP TABLE offline_consumed_states');
    await queryRunner.query('DROP TABLE vault_tokens');
  }
}
