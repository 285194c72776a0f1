import { type ArgumentsHost, Catch, type ExceptionFilter, HttpStatus } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { HttpErrorWithHeaders, toErrorBody } from '@auth-platform/platform';
import { PlatformTokenException } from '../platform-token/platform-token.exception';
import { ExecuteErrorCode, ExecuteException } from './execute.exception';

const STATUS: Record<ExecuteErrorCode, number> = {
  [ExecuteErrorCode.PROFILE_NOT_FOUND]: HttpStatus.NOT_FOUND,
  [ExecuteErrorCode.PROFILE_NOT_CONFIGURED]: HttpStatus.SERVICE_UNAVAILABLE,
  [ExecuteErrorCode.PATH_REJECTED]: HttpStatus.BAD_REQUEST,
  [ExecuteErrorCode.PATH_NOT_ALLOWED]: HttpStatus.BAD_REQUEST,
  [ExecuteErrorCode.INVALID_REQUEST]: HttpStatus.BAD_REQUEST,
  [ExecuteErrorCode.PLATFORM_UNREACHABLE]: HttpStatus.BAD_GATEWAY,
  [ExecuteErrorCode.PLATFORM_TIMEOUT]: HttpStatus.GATEWAY_TIMEOUT,
  [ExecuteErrorCode.RESPONSE_TOO_LARGE]: HttpStatus.BAD_GATEWAY,
};

function asHttpError(exception: ExecuteException | PlatformTokenException): HttpErrorWithHeaders {
  if (exception instanceof ExecuteException)
    return new HttpErrorWithHeaders(STATUS[exception.code], exception.message, {});
  const headers: Record<string, string> = {};
  if (exception.retryAt !== undefined)
    headers['Retry-After'] = String(Math.max(1, Math.ceil((exception.retryAt - Date.now()) / 1000)));
  return new HttpErrorWithHeaders(HttpStatus.SERVICE_UNAVAILABLE, exception.message, headers);
}

/**
 * Maps execution errors to HTTP at the edge: 400/404 for the caller's mistakes, 502/504 when the platform did not
 * answer, 503 (with Retry-After when the next login is known) without a platform token. These are expected
 * outcomes, already on the request's access log line, so unlike an unhandled error they log nothing more.
 */
@Catch(ExecuteException, PlatformTokenException)
export class ExecuteExceptionFilter implements ExceptionFilter<ExecuteException | PlatformTokenException> {
  catch(exception: ExecuteException | PlatformTokenException, host: ArgumentsHost): void {
    const { body, headers } = toErrorBody(asHttpError(exception));
    void host.switchToHttp().getResponse<FastifyReply>().headers(headers).status(body.statusCode).send(body);
  }
}
