import { type ArgumentsHost, Catch, type ExceptionFilter, HttpStatus } from '@nestjs/common';
import { HttpErrorFilter, HttpErrorWithHeaders } from '@auth-platform/platform';
import { UsageErrorCode, UsageException } from './usage.exception';

const STATUS: Record<UsageErrorCode, number> = {
  [UsageErrorCode.KEY_NOT_FOUND]: HttpStatus.NOT_FOUND,
  [UsageErrorCode.BUFFER_FULL]: HttpStatus.SERVICE_UNAVAILABLE,
  [UsageErrorCode.ALREADY_EXPORTED]: HttpStatus.CONFLICT,
  [UsageErrorCode.INVALID_DATE]: HttpStatus.BAD_REQUEST,
};

@Catch(UsageException)
export class UsageExceptionFilter implements ExceptionFilter<UsageException> {
  private readonly errors = new HttpErrorFilter();

  catch(exception: UsageException, host: ArgumentsHost): void {
    const headers: Record<string, string> = exception.code === UsageErrorCode.BUFFER_FULL ? { 'Retry-After': '5' } : {};
    this.errors.catch(new HttpErrorWithHeaders(STATUS[exception.code], exception.message, headers), host);
  }
}
