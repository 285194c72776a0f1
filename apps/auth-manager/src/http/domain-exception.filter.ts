import { STATUS_CODES } from 'node:http';
import { type ArgumentsHost, Catch, type ExceptionFilter, HttpStatus } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { annotateRequest } from '@auth-platform/platform';
import { DomainException } from '../common/domain.exception';
import { DatabaseErrorCode } from '../database/database.exception';
import { IdentityProviderErrorCode } from '../identity-provider/identity-provider.exception';
import { OfflineErrorCode } from '../offline/offline.exception';
import { SessionErrorCode } from '../sessions/session.exception';
import { VaultErrorCode } from '../vault/vault.exception';

type DomainErrorCode =
  VaultErrorCode | IdentityProviderErrorCode | DatabaseErrorCode | OfflineErrorCode | SessionErrorCode;

const STATUS: Record<DomainErrorCode, number> = {
  [VaultErrorCode.TOKEN_NOT_FOUND]: HttpStatus.NOT_FOUND,
  [VaultErrorCode.TOKEN_NOT_ACTIVE]: HttpStatus.BAD_REQUEST,
  [VaultErrorCode.TOKEN_TYPE_MISMATCH]: HttpStatus.BAD_REQUEST,
  [VaultErrorCode.TOKEN_ISSUED_TO_OTHER_CLIENT]: HttpStatus.BAD_REQUEST,
  [VaultErrorCode.TOKEN_ALREADY_STORED]: HttpStatus.CONFLICT,
  [VaultErrorCode.REFRESH_TOKEN_REVOKED]: HttpStatus.UNAUTHORIZED,
  [VaultErrorCode.VAULT_KEY_NOT_CONFIGURED]: HttpStatus.SERVICE_UNAVAILABLE,
  [VaultErrorCode.VAULT_KEY_UNKNOWN]: HttpStatus.INTERNAL_SERVER_ERROR,
  [VaultErrorCode.TOKEN_INTEGRITY_CHECK_FAILED]: HttpStatus.INTERNAL_SERVER_ERROR,
  [IdentityProviderErrorCode.PROVIDER_NOT_CONFIGURED]: HttpStatus.SERVICE_UNAVAILABLE,
  [IdentityProviderErrorCode.PROVIDER_UNAVAILABLE]: HttpStatus.SERVICE_UNAVAILABLE,
  [IdentityProviderErrorCode.PROVIDER_REJECTED_REQUEST]: HttpStatus.BAD_GATEWAY,
  // Where an invalid_grant is not a stored token's (a reused authorization code), the caller must start again.
  [IdentityProviderErrorCode.INVALID_GRANT]: HttpStatus.BAD_REQUEST,
  [DatabaseErrorCode.DATABASE_UNAVAILABLE]: HttpStatus.SERVICE_UNAVAILABLE,
  [DatabaseErrorCode.REFRESH_LOCK_TIMEOUT]: HttpStatus.SERVICE_UNAVAILABLE,
  [DatabaseErrorCode.QUERY_FAILED]: HttpStatus.INTERNAL_SERVER_ERROR,
  [OfflineErrorCode.STATE_SECRET_NOT_CONFIGURED]: HttpStatus.SERVICE_UNAVAILABLE,
  [OfflineErrorCode.INVALID_STATE]: HttpStatus.BAD_REQUEST,
  [OfflineErrorCode.AUTHORIZATION_DENIED]: HttpStatus.BAD_REQUEST,
  [OfflineErrorCode.SUBJECT_MISMATCH]: HttpStatus.FORBIDDEN,
  [OfflineErrorCode.OFFLINE_ACCESS_NOT_GRANTED]: HttpStatus.BAD_REQUEST,
  [SessionErrorCode.SESSION_NOT_FOUND]: HttpStatus.NOT_FOUND,
};

/** Temporary outages say when to come back. */
const RETRY_AFTER_SECONDS = '5';

/**
 * Maps the app's domain errors to HTTP: the suite's `{ statusCode, error, message }` plus the domain `code`
 * (e.g. REFRESH_TOKEN_REVOKED), so a client can tell "sign in again" from "retry later".
 */
@Catch(DomainException)
export class DomainExceptionFilter implements ExceptionFilter<DomainException> {
  catch(exception: DomainException, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    const status = STATUS[exception.code as DomainErrorCode] ?? HttpStatus.INTERNAL_SERVER_ERROR;
    annotateRequest(http.getRequest<FastifyRequest>(), {
      error_code: exception.code,
      ...('reason' in exception ? { reason: exception.reason } : {}),
    });
    const reply = http.getResponse<FastifyReply>();
    if (status === HttpStatus.SERVICE_UNAVAILABLE) void reply.header('retry-after', RETRY_AFTER_SECONDS);
    void reply.status(status).send({
      statusCode: status,
      error: STATUS_CODES[status] ?? 'Error',
      message: exception.message,
      code: exception.code,
    });
  }
}
