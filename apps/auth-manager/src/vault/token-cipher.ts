import { Inject, Injectable, Logger, Optional } from '@nestjs/common';
import { DecryptionError, DecryptionErrorCode, Keyring, keyIdOf } from '@auth-platform/crypto';
import { VaultErrorCode, VaultException } from './vault.exception';

export type SealedField = 'refresh_token' | 'access_token';

/** The row a ciphertext belongs to: its id and user are the associated data, so a moved or edited row fails. */
export interface SealedRow {
  readonly id: string;
  readonly userId: string;
}

/** Associated data for one token field of one row; the id (a UUID) and the field name contain no ':'. */
export function tokenAssociatedData(row: SealedRow, field: SealedField): string {
  return `vault_tokens:${row.id}:${row.userId}:${field}`;
}

/** AES-256-GCM for the vault's tokens, through the crypto lib's Keyring (current key plus previous keys). */
@Injectable()
export class TokenCipher {
  private readonly logger = new Logger('TokenCipher');

  constructor(@Optional() @Inject(Keyring) private readonly keyring?: Keyring) {}

  get configured(): boolean {
    return this.keyring !== undefined;
  }

  /** Throws VAULT_KEY_NOT_CONFIGURED before any work is done that would need the key. */
  assertConfigured(): void {
    this.ring();
  }

  get currentKeyId(): string {
    return this.ring().currentKeyId;
  }

  seal(row: SealedRow, field: SealedField, plaintext: string): string {
    return this.ring().encrypt(plaintext, tokenAssociatedData(row, field));
  }

  open(row: SealedRow, field: SealedField, ciphertext: string): string {
    try {
      return this.ring().decrypt(ciphertext, tokenAssociatedData(row, field));
    } catch (error) {
      throw this.integrityFailure(row, field, error);
    }
  }

  /** Re-encrypts under the current key (after authenticating); the same string when it already is. */
  rewrap(row: SealedRow, field: SealedField, ciphertext: string): string {
    try {
      return this.ring().rewrap(ciphertext, tokenAssociatedData(row, field));
    } catch (error) {
      throw this.integrityFailure(row, field, error);
    }
  }

  keyIdOf(ciphertext: string): string | undefined {
    try {
      return keyIdOf(ciphertext);
    } catch {
      return undefined;
    }
  }

  private ring(): Keyring {
    if (!this.keyring) {
      throw new VaultException(
        VaultErrorCode.VAULT_KEY_NOT_CONFIGURED,
        'The token vault has no encryption key (AUTH_MANAGER_TOKEN_VAULT_ENCRYPTION_KEY)',
      );
    }
    return this.keyring;
  }

  private integrityFailure(row: SealedRow, field: SealedField, error: unknown): unknown {
    if (!(error instanceof DecryptionError)) return error;
    if (error.code === DecryptionErrorCode.UNKNOWN_KEY) {
      this.logger.error(
        { event: 'vault_key_unknown', token_id: row.id, field, key_id: error.keyId },
        'stored token is under an unknown key',
      );
      return new VaultException(
        VaultErrorCode.VAULT_KEY_UNKNOWN,
        `Stored token ${row.id} is encrypted under key ${error.keyId ?? '?'}, which is not configured; add that key to AUTH_MANAGER_TOKEN_VAULT_PREVIOUS_KEYS`,
      );
    }
    this.logger.error(
      { event: 'vault_integrity_failure', token_id: row.id, field, reason: error.code },
      'stored token failed its integrity check',
    );
    return new VaultException(
      VaultErrorCode.TOKEN_INTEGRITY_CHECK_FAILED,
      `Stored token ${row.id} failed its integrity check (tampered or corrupted) and cannot be used`,
    );
  }
}
