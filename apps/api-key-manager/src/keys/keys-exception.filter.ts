import { type ArgumentsHost, Catch, type ExceptionFilter, HttpStatus } from '@nestjs/common';
import { HttpErrorFilter, HttpErrorWithHeaders } from '@auth-platform/platform';
import { KeyErrorCode, KeyException } from './keys.exception';

const STATUS: Record<KeyErrorCode, number> = {
  [KeyErrorCode.NOT_CONFIGURED]: HttpStatus.SERVICE_UNAVAILABLE,
  [KeyErrorCode.KEY_NOT_FOUND]: HttpStatus.NOT_FOUND,
  [KeyErrorCode.ALREADY_REVOKED]: HttpStatus.CONFLICT,
  [KeyErrorCode.ALREADY_ROTATED]: HttpStatus.CONFLICT,
  [KeyErrorCode.KEY_EXPIRED]: HttpStatus.CONFLICT,
  [KeyErrorCode.CONCURRENT_CHANGE]: HttpStatus.CONFLICT,
  [KeyErrorCode.INVALID_CONTINUATION_TOKEN]: HttpStatus.BAD_REQUEST,
};

/** A key error as HTTP; other errors pass through unchanged. */
export function keysHttpError(error: unknown): unknown {
  return error instanceof KeyException ? new HttpErrorWithHeaders(STATUS[error.code], error.message, {}) : error;
}

@Catch(KeyException)
export class KeysExceptionFilter implements ExceptionFilter<KeyException> {
  private readonly errors = new HttpErrorFilter();

  catch(exception: KeyException, host: ArgumentsHost): void {
    this.errors.catch(keysHttpError(exception), host);
  }
}
