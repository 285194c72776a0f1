export enum ExecuteErrorCode {
  /** No profile of that name. */
  PROFILE_NOT_FOUND = 'PROFILE_NOT_FOUND',
  /** The profile is only partly configured (development). */
  PROFILE_NOT_CONFIGURED = 'PROFILE_NOT_CONFIGURED',
  /** The path would leave the platform's API root, or is not a plain path. */
  PATH_REJECTED = 'PATH_REJECTED',
  /** The path is fine but not under API_EXECUTOR_ALLOWED_PATHS. */
  PATH_NOT_ALLOWED = 'PATH_NOT_ALLOWED',
  /** A request the DTO cannot express as invalid (a body on GET, a header given twice). */
  INVALID_REQUEST = 'INVALID_REQUEST',
  /** Connection refused, reset, DNS failure... */
  PLATFORM_UNREACHABLE = 'PLATFORM_UNREACHABLE',
  /** No answer within API_EXECUTOR_TIMEOUT (or no token within it). */
  PLATFORM_TIMEOUT = 'PLATFORM_TIMEOUT',
  /** The platform's response is above API_EXECUTOR_MAX_RESPONSE_BYTES. */
  RESPONSE_TOO_LARGE = 'RESPONSE_TOO_LARGE',
}

export class ExecuteException extends Error {
  constructor(
    readonly code: ExecuteErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'ExecuteException';
  }
}
