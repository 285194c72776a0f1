import { TokenCipher } from './token-cipher';
import { TokenVaultStore } from './token-vault.store';
import { VaultException } from './vault.exception';

export interface RewrapReport {
  readonly current_key_id: string;
  readonly rewrapped: number;
  readonly failed: readonly { readonly id: string; readonly code: string }[];
}

const PAGE_SIZE = 100;
const FIRST_UUID = '00000000-0000-0000-0000-000000000000';

/**
 * Re-encrypts every row not yet under the current vault key, one row lock at a time, so it can run while the
 * service serves traffic. A row that fails authentication is reported and left as it is. When the report has no
 * failures, the previous keys can be removed from AUTH_MANAGER_TOKEN_VAULT_PREVIOUS_KEYS.
 */
export async function rewrapVault(store: TokenVaultStore, cipher: TokenCipher): Promise<RewrapReport> {
  const current = cipher.currentKeyId;
  const failed: { id: string; code: string }[] = [];
  let rewrapped = 0;
  let after = FIRST_UUID;
  for (;;) {
    const ids = await store.idsNotUnderKey(current, after, PAGE_SIZE);
    if (ids.length === 0) break;
    for (const id of ids) {
      after = id;
      try {
        const changed = await store.withLockedRecord(id, async (record, row) => {
          if (!record || record.keyId === current) return false;
          await row.update({
            refreshTokenCiphertext: cipher.rewrap(record, 'refresh_token', record.refreshTokenCiphertext),
            accessTokenCiphertext:
              record.accessTokenCiphertext &&
              cipher.rewrap(record, 'access_token', record.accessTokenCiphertext),
            keyId: current,
          });
          return true;
        });
        if (changed) rewrapped += 1;
      } catch (error) {
        if (!(error instanceof VaultException)) throw error;
        failed.push({ id, code: error.code });
      }
    }
  }
  return { current_key_id: current, rewrapped, failed };
}
