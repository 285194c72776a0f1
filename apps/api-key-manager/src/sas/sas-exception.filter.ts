import { type ArgumentsHost, Catch, type ExceptionFilter, HttpStatus } from '@nestjs/common';
import { HttpErrorFilter, HttpErrorWithHeaders } from '@auth-platform/platform';
import { SasErrorCode, SasException } from './sas.exception';

const STATUS: Record<SasErrorCode, number> = {
  [SasErrorCode.TABLE_NOT_ALLOWED]: HttpStatus.FORBIDDEN,
  [SasErrorCode.PERMISSION_NOT_ALLOWED]: HttpStatus.FORBIDDEN,
  [SasErrorCode.SCOPE_MISSING]: HttpStatus.FORBIDDEN,
  [SasErrorCode.NOT_AVAILABLE]: HttpStatus.SERVICE_UNAVAILABLE,
};

@Catch(SasException)
export class SasExceptionFilter implements ExceptionFilter<SasException> {
  private readonly errors = new HttpErrorFilter();

  catch(exception: SasException, host: ArgumentsHost): void {
    this.errors.catch(new HttpErrorWithHeaders(STATUS[exception.code], exception.message, {}), host);
  }
}
