import { type ArgumentsHost, Catch, type ExceptionFilter, HttpStatus } from '@nestjs/common';
import { HttpErrorFilter, HttpErrorWithHeaders } from '@auth-platform/platform';
import { StorageException } from './storage.exception';

/** Storage that cannot serve is a 503 with Retry-After, never a 500. Other errors pass through unchanged. */
export function storageHttpError(error: unknown): unknown {
  if (!(error instanceof StorageException)) return error;
  return new HttpErrorWithHeaders(HttpStatus.SERVICE_UNAVAILABLE, error.message, { 'Retry-After': String(error.retryAfterSeconds) });
}

@Catch(StorageException)
export class StorageExceptionFilter implements ExceptionFilter<StorageException> {
  private readonly errors = new HttpErrorFilter();

  catch(exception: StorageException, host: ArgumentsHost): void {
    this.errors.catch(storageHttpError(exception), host);
  }
}
