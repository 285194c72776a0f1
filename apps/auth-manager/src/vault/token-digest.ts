import { Injectable } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { hmacSha256Hex } from '@auth-platform/crypto';
import type { AuthManagerEnv } from '../config/env';
import { VaultErrorCode, VaultException } from './vault.exception';

/**
 * Recognises a token stored before without keeping it: HMAC-SHA-256 under a key derived from the vault key (never
 * the encryption key itself). After a key rotation, tokens stored earlier are no longer recognised.
 */
@Injectable()
export class TokenDigest {
  private readonly key?: Buffer;

  constructor(config: ConfigService<AuthManagerEnv, true>) {
    const vaultKey = config.get('AUTH_MANAGER_TOKEN_VAULT_ENCRYPTION_KEY', { infer: true });
    this.key = vaultKey
      ? Buffer.from(
          hmacSha256Hex(Buffer.from(vaultKey, 'hex'), 'auth-manager/vault_tokens/refresh_token_digest'),
          'hex',
        )
      : undefined;
  }

  of(token: string): string {
    if (!this.key) {
      throw new VaultException(
        VaultErrorCode.VAULT_KEY_NOT_CONFIGURED,
        'The token vault has no encryption key (AUTH_MANAGER_TOKEN_VAULT_ENCRYPTION_KEY)',
      );
    }
    return hmacSha256Hex(this.key, token);
  }
}
