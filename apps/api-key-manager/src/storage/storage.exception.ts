export enum StorageErrorCode {
  /** No storage account is configured (and no local Azurite could be started). */
  NOT_CONFIGURED = 'NOT_CONFIGURED',
  /** Calls failed with transient errors after every retry. */
  UNAVAILABLE = 'UNAVAILABLE',
  /** Refused at once: the circuit breaker is open after repeated failures. */
  CIRCUIT_OPEN = 'CIRCUIT_OPEN',
  /** Storage answered, but refused the service's own credentials. */
  CREDENTIALS_REJECTED = 'CREDENTIALS_REJECTED',
}

/** Storage cannot serve the request now; callers answer 503. The message is for the client and holds no secret. */
export class StorageException extends Error {
  constructor(
    readonly code: StorageErrorCode,
    message: string,
    /** A hint for Retry-After, in seconds. */
    readonly retryAfterSeconds = 1,
  ) {
    super(message);
    this.name = 'StorageException';
  }
}
