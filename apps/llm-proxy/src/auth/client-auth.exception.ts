export enum ClientAuthErrorCode {
  MISSING_CREDENTIALS = 'missing_credentials',
  AMBIGUOUS_CREDENTIALS = 'ambiguous_credentials',
  INVALID_TOKEN = 'invalid_token',
  MISSING_SIGNATURE_HEADER = 'missing_signature_header',
  UNKNOWN_CLIENT = 'unknown_client',
  STALE_TIMESTAMP = 'stale_timestamp',
  INVALID_NONCE = 'invalid_nonce',
  INVALID_SIGNATURE = 'invalid_signature',
  REPLAYED_NONCE = 'replayed_nonce',
  UNKNOWN_PRODUCT = 'unknown_product',
  PRODUCT_NOT_ALLOWED = 'product_not_allowed',
  SCHEME_NOT_CONFIGURED = 'scheme_not_configured',
  KEY_SET_UNAVAILABLE = 'key_set_unavailable',
}

/** Why a client was not let in. Messages talk about the credential, never quote it. */
export class ClientAuthException extends Error {
  constructor(
    readonly code: ClientAuthErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'ClientAuthException';
  }
}
