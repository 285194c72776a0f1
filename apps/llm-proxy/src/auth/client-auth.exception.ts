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
  /** A managed key api-key-manager does not accept (unknown, revoked, expired, malformed). */
  INVALID_API_KEY = 'invalid_api_key',
  /** A managed key without the scope llm-proxy:chat, or used from an address it is not allowed from. */
  API_KEY_NOT_PERMITTED = 'api_key_not_permitted',
  /** api-key-manager cannot say whether a managed key is valid now (fail closed). */
  API_KEY_VERIFICATION_UNAVAILABLE = 'api_key_verification_unavailable',
}

/** Why a client was not let in. Messages talk about the credential, never quote it. */
export class ClientAuthException extends Error {
  constructor(
    readonly code: ClientAuthErrorCode,
    message: string,
    /** For a 503: when to try again, in seconds. */
    readonly retryAfterSeconds?: number,
  ) {
    super(message);
    this.name = 'ClientAuthException';
  }
}
