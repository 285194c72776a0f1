export enum ProxyErrorCode {
  INVALID_REQUEST = 'invalid_request',
  MODEL_NOT_ALLOWED = 'model_not_allowed',
  RATE_LIMITED = 'rate_limit_exceeded',
  DAILY_QUOTA_EXCEEDED = 'daily_quota_exceeded',
  TOKEN_QUOTA_EXCEEDED = 'daily_token_quota_exceeded',
  LIMITS_UNAVAILABLE = 'limits_unavailable',
  UPSTREAM_UNAVAILABLE = 'upstream_unavailable',
  UPSTREAM_TIMEOUT = 'upstream_timeout',
  UPSTREAM_RATE_LIMITED = 'upstream_rate_limited',
  UPSTREAM_REJECTED = 'upstream_rejected',
  CLIENT_CLOSED = 'client_closed_request',
}

export interface ProxyErrorDetails {
  /** The request field at fault, as OpenAI's `param`. */
  readonly param?: string;
  /** Headers the answer carries (Retry-After, ...). */
  readonly headers?: Readonly<Record<string, string>>;
  /** UPSTREAM_REJECTED: the upstream's own 4xx status, type and code, passed on to the client. */
  readonly upstreamStatus?: number;
  readonly upstreamType?: string;
  readonly upstreamCode?: string;
}

/** A request the proxy refuses or could not complete. Thrown in services, mapped to HTTP by OpenAiErrorFilter. */
export class ProxyException extends Error {
  constructor(
    readonly code: ProxyErrorCode,
    message: string,
    readonly details: ProxyErrorDetails = {},
  ) {
    super(message);
    this.name = 'ProxyException';
  }
}
