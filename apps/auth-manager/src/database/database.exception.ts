import { QueryFailedError } from 'typeorm';
import { DomainException } from '../common/domain.exception';

export enum DatabaseErrorCode {
  /** PostgreSQL is unreachable, restarting, or not connected yet. */
  DATABASE_UNAVAILABLE = 'DATABASE_UNAVAILABLE',
  /** Waiting for another replica's refresh of the same token took longer than the lock timeout. */
  REFRESH_LOCK_TIMEOUT = 'REFRESH_LOCK_TIMEOUT',
  /** A query failed for another reason: a bug, never bad input. */
  QUERY_FAILED = 'QUERY_FAILED',
}

export class DatabaseException extends DomainException<DatabaseErrorCode> {
  constructor(
    code: DatabaseErrorCode,
    message: string,
    /** The PostgreSQL SQLSTATE or Node error code, for the operator's log; never a query or its parameters. */
    readonly driverCode?: string,
  ) {
    super(code, message);
  }
}

const CONNECTION_SQLSTATES = /^(08|57P0[1-3]|53300)/;
const CONNECTION_ERRNOS = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
]);
const CONNECTION_MESSAGES =
  /Connection terminated|connection error|timeout exceeded when trying to connect|Client was closed|not queryable|Connection is not established|Too many connections/i;

function codeOf(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

/**
 * Turns whatever pg or TypeORM threw into a DatabaseException that carries no query text or parameters (those
 * hold ciphertexts and user ids). Domain exceptions thrown inside a transaction pass through unchanged.
 */
export function toDatabaseException(error: unknown): DatabaseException {
  const driverError = error instanceof QueryFailedError ? (error.driverError as unknown) : error;
  const code = codeOf(driverError);
  const message = driverError instanceof Error ? driverError.message : String(driverError);
  if (code === '55P03') {
    return new DatabaseException(
      DatabaseErrorCode.REFRESH_LOCK_TIMEOUT,
      'Another refresh of this token is taking too long; retry shortly',
      code,
    );
  }
  if (
    (code && (CONNECTION_SQLSTATES.test(code) || CONNECTION_ERRNOS.has(code))) ||
    CONNECTION_MESSAGES.test(message)
  ) {
    return new DatabaseException(
      DatabaseErrorCode.DATABASE_UNAVAILABLE,
      'The token vault database is unavailable; retry shortly',
      code,
    );
  }
  return new DatabaseException(DatabaseErrorCode.QUERY_FAILED, 'A token vault query failed', code);
}
