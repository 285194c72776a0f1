import { DomainException } from '../common/domain.exception';

export enum VaultErrorCode {
  TOKEN_NOT_FOUND = 'TOKEN_NOT_FOUND',
  /** The provider says the token given to POST /tokens is not active (expired, revoked, another realm). */
  TOKEN_NOT_ACTIVE = 'TOKEN_NOT_ACTIVE',
  /** token_type says offline but the token has no offline_access, or the other way round. */
  TOKEN_TYPE_MISMATCH = 'TOKEN_TYPE_MISMATCH',
  /** The same token is stored already (its id is in the message). */
  TOKEN_ALREADY_STORED = 'TOKEN_ALREADY_STORED',
  /** The token was issued to another client, which this service cannot refresh it as. */
  TOKEN_ISSUED_TO_OTHER_CLIENT = 'TOKEN_ISSUED_TO_OTHER_CLIENT',
  /** The provider answered invalid_grant: the stored token is dead and the user must sign in again. */
  REFRESH_TOKEN_REVOKED = 'REFRESH_TOKEN_REVOKED',
  VAULT_KEY_NOT_CONFIGURED = 'VAULT_KEY_NOT_CONFIGURED',
  /** A row is encrypted under a key that is neither current nor in the previous keys. */
  VAULT_KEY_UNKNOWN = 'VAULT_KEY_UNKNOWN',
  /** A stored ciphertext failed authentication: tampered, corrupted, or moved to another row. */
  TOKEN_INTEGRITY_CHECK_FAILED = 'TOKEN_INTEGRITY_CHECK_FAILED',
}

export class VaultException extends DomainException<VaultErrorCode> {}
