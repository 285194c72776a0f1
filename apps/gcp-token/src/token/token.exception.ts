export enum TokenErrorCode {
  NOT_CONFIGURED = 'NOT_CONFIGURED',
  SCOPE_NOT_ALLOWED = 'SCOPE_NOT_ALLOWED',
  TARGET_NOT_ALLOWED = 'TARGET_NOT_ALLOWED',
  LIFETIME_TOO_LONG = 'LIFETIME_TOO_LONG',
  UPSTREAM_FAILED = 'UPSTREAM_FAILED',
}

/** Why Google did not give us a token, for metrics and logs (never for the caller). */
export type UpstreamFailureReason = 'timeout' | 'network' | 'upstream_5xx' | 'upstream_rejected' | 'malformed_response';

export class TokenException extends Error {
  constructor(
    readonly code: TokenErrorCode,
    message: string,
    readonly reason?: UpstreamFailureReason,
  ) {
    super(message);
    this.name = 'TokenException';
  }
}
