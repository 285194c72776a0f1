/** The shape of `RestError` from the Azure SDKs (Tables and Blob each re-export it; matched by shape, not class). */
interface AzureRestError extends Error {
  readonly statusCode?: number;
  readonly code?: string;
  readonly details?: unknown;
}

function isRestError(error: unknown): error is AzureRestError {
  return error instanceof Error && error.name === 'RestError';
}

/** How a failed Azure call should be treated. */
export type FailureKind =
  /** Worth retrying: a timeout, a network error, throttling or a 5xx. */
  | 'transient'
  /** Storage refused our credentials (401/403): retrying will not help and it is not an outage. */
  | 'credentials'
  /** A definite answer (404, 409, 412, 400): the caller handles it; says nothing against the service's health. */
  | 'answer'
  /** Not an Azure failure at all (a bug): rethrown untouched. */
  | 'unknown';

const TRANSIENT_STATUS = new Set([408, 429, 500, 502, 503, 504]);

export function statusOf(error: unknown): number | undefined {
  return isRestError(error) ? error.statusCode : undefined;
}

/** Azure's own error code (`TableNotFound`, `EntityAlreadyExists`, `BlobAlreadyExists`, ...). */
export function azureCodeOf(error: unknown): string | undefined {
  if (!isRestError(error)) return undefined;
  const details = error.details as { odataError?: { code?: unknown }; errorCode?: unknown } | undefined;
  const code = details?.odataError?.code ?? details?.errorCode ?? error.code;
  return typeof code === 'string' ? code : undefined;
}

export function classifyFailure(error: unknown): FailureKind {
  if (error instanceof Error && (error.name === 'AbortError' || error.name === 'TimeoutError')) return 'transient';
  if (!isRestError(error)) return 'unknown';
  const status = error.statusCode;
  if (status === undefined) return 'transient';
  if (TRANSIENT_STATUS.has(status)) return 'transient';
  if (status === 401 || status === 403) return 'credentials';
  return 'answer';
}
