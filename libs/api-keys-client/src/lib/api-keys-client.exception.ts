/** Why api-key-manager could not answer a verification (or take a usage report). */
export enum ApiKeyManagerFailure {
  /** No answer within `timeoutMs`. */
  TIMEOUT = 'timeout',
  /** Connection refused, reset or unresolvable. */
  NETWORK = 'network',
  /** 5xx, 408 or 429: the manager (or its storage) is in trouble. */
  SERVER_ERROR = 'server_error',
  /** 401/403: the manager refused this service's credential (API_KEY_MANAGER_SERVICE_KEY). */
  SERVICE_KEY_REJECTED = 'service_key_rejected',
  /** Another status, or a body outside the contract: most likely API_KEY_MANAGER_URL points elsewhere. */
  UNEXPECTED_RESPONSE = 'unexpected_response',
  /** The circuit breaker is open after repeated failures: no call was made. */
  CIRCUIT_OPEN = 'circuit_open',
  /** `close()` was called. */
  CLOSED = 'closed',
}

const DESCRIPTIONS: Record<ApiKeyManagerFailure, string> = {
  [ApiKeyManagerFailure.TIMEOUT]: 'api-key-manager did not answer in time',
  [ApiKeyManagerFailure.NETWORK]: 'api-key-manager is unreachable',
  [ApiKeyManagerFailure.SERVER_ERROR]: 'api-key-manager answered with an error',
  [ApiKeyManagerFailure.SERVICE_KEY_REJECTED]:
    'api-key-manager refused this service credential (API_KEY_MANAGER_SERVICE_KEY must be one of its VERIFY_API_KEYS)',
  [ApiKeyManagerFailure.UNEXPECTED_RESPONSE]:
    'api-key-manager gave an unexpected answer (check API_KEY_MANAGER_URL)',
  [ApiKeyManagerFailure.CIRCUIT_OPEN]: 'api-key-manager failed repeatedly; calls are paused',
  [ApiKeyManagerFailure.CLOSED]: 'the API keys client is closed',
};

/**
 * The manager could not say whether a key is valid and no cached answer was left: the caller must refuse the request
 * with 503 (never accept the key). The message names the cause for the operator and never carries a key.
 */
export class ApiKeyManagerUnavailableError extends Error {
  override readonly name = 'ApiKeyManagerUnavailableError';

  constructor(
    readonly reason: ApiKeyManagerFailure,
    /** A sensible `Retry-After` for the caller's 503, in seconds. */
    readonly retryAfterSeconds = 1,
    /** The manager's HTTP status, when it answered. */
    readonly status?: number,
  ) {
    super(`API key verification is unavailable: ${DESCRIPTIONS[reason]}${status ? ` (HTTP ${status})` : ''}`);
  }
}
