import { Column, Entity, PrimaryColumn } from 'typeorm';

export type VaultTokenType = 'refresh' | 'offline';

/**
 * One stored refresh or offline token. The token itself, and the last access token minted from it, exist here
 * only as AES-256-GCM ciphertexts whose associated data binds them to this row's id and user; `keyId` is the
 * vault key both are encrypted under.
 */
@Entity({ name: 'vault_tokens' })
export class EncryptedTokenRecord {
  @PrimaryColumn({ type: 'uuid' })
  id!: string;

  @Column({ name: 'user_id', type: 'varchar', length: 255 })
  userId!: string;

  @Column({ name: 'session_id', type: 'varchar', length: 255, nullable: true })
  sessionId!: string | null;

  @Column({ name: 'token_type', type: 'varchar', length: 16 })
  tokenType!: VaultTokenType;

  @Column({ name: 'client_id', type: 'varchar', length: 255 })
  clientId!: string;

  /** Space-separated, as OAuth writes scopes. */
  @Column({ type: 'text' })
  scope!: string;

  @Column({ name: 'refresh_token_ciphertext', type: 'text' })
  refreshTokenCiphertext!: string;

  /**
   * A keyed HMAC of the token as it was first stored (never of a rotated one), so that storing the same token twice
   * is refused: two rows rotating one token would each invalidate the other.
   */
  @Column({ name: 'refresh_token_digest', type: 'varchar', length: 64 })
  refreshTokenDigest!: string;

  @Column({ name: 'refresh_token_expires_at', type: 'timestamptz', nullable: true })
  refreshTokenExpiresAt!: Date | null;

  @Column({ name: 'access_token_ciphertext', type: 'text', nullable: true })
  accessTokenCiphertext!: string | null;

  @Column({ name: 'access_token_expires_at', type: 'timestamptz', nullable: true })
  accessTokenExpiresAt!: Date | null;

  @Column({ name: 'key_id', type: 'varchar', length: 32 })
  keyId!: string;

  /** Incremented by every refresh, so a caller that waited for the row lock can tell that another one refreshed. */
  @Column({ type: 'integer', default: 0 })
  generation!: number;

  @Column({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;

  @Column({ name: 'last_refreshed_at', type: 'timestamptz', nullable: true })
  lastRefreshedAt!: Date | null;

  /** Set when the provider answered invalid_grant: the user must sign in again. */
  @Column({ name: 'revoked_at', type: 'timestamptz', nullable: true })
  revokedAt!: Date | null;
}
