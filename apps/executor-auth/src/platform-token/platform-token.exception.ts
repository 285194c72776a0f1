export enum PlatformTokenErrorCode {
  /** The login API answered 401 or 403: wrong email or password. Not retried. */
  CREDENTIALS_REJECTED = 'CREDENTIALS_REJECTED',
  /** Network error, timeout, 408, 429 or 5xx from the login API. Retried with backoff. */
  LOGIN_UNAVAILABLE = 'LOGIN_UNAVAILABLE',
  /** Any other status from the login API (404, 400, a redirect): the URL or the request is wrong. Not retried. */
  LOGIN_REFUSED = 'LOGIN_REFUSED',
  /** A 2xx that is not JSON, has no token field, or holds an already expired token. Not retried. */
  LOGIN_RESPONSE_INVALID = 'LOGIN_RESPONSE_INVALID',
  /** The static API_AUTH_TOKEN is a JWT whose `exp` has passed. */
  STATIC_TOKEN_EXPIRED = 'STATIC_TOKEN_EXPIRED',
}

const RETRYABLE = new Set<PlatformTokenErrorCode>([PlatformTokenErrorCode.LOGIN_UNAVAILABLE]);

/** Why no platform token is available. The message is for people and never holds the password or a token. */
export class PlatformTokenException extends Error {
  constructor(
    readonly code: PlatformTokenErrorCode,
    message: string,
    /** Epoch ms from which another login will be tried (the caller's Retry-After). */
    readonly retryAt?: number,
  ) {
    super(message);
    this.name = 'PlatformTokenException';
  }

  get retryable(): boolean {
    return RETRYABLE.has(this.code);
  }

  withRetryAt(retryAt: number): PlatformTokenException {
    return new PlatformTokenException(this.code, this.message, retryAt);
  }
}
