import { type ArgumentsHost, Catch, type ExceptionFilter, HttpStatus } from '@nestjs/common';
import { HttpErrorFilter, HttpErrorWithHeaders } from '@auth-platform/platform';
import { TokenErrorCode, TokenException } from './token.exception';

const STATUS: Record<TokenErrorCode, number> = {
  [TokenErrorCode.NOT_CONFIGURED]: HttpStatus.SERVICE_UNAVAILABLE,
  [TokenErrorCode.SCOPE_NOT_ALLOWED]: HttpStatus.BAD_REQUEST,
  [TokenErrorCode.LIFETIME_TOO_LONG]: HttpStatus.BAD_REQUEST,
  [TokenErrorCode.TARGET_NOT_ALLOWED]: HttpStatus.FORBIDDEN,
  [TokenErrorCode.UPSTREAM_FAILED]: HttpStatus.BAD_GATEWAY,
};

/** Maps token errors to HTTP at the edge. Google's own error text is logged by TokenService, never sent. */
@Catch(TokenException)
export class TokenExceptionFilter implements ExceptionFilter<TokenException> {
  private readonly errors = new HttpErrorFilter();

  catch(exception: TokenException, host: ArgumentsHost): void {
    this.errors.catch(new HttpErrorWithHeaders(STATUS[exception.code], exception.message, {}), host);
  }
}
