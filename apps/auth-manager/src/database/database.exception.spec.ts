import { QueryFailedError } from 'typeorm';
import { DatabaseErrorCode, toDatabaseException } from './database.exception';

function driverError(code: string | undefined, message = 'failure'): Error {
  return Object.assign(new Error(message), code ? { code } : {});
}

describe('toDatabaseException', () => {
  it.each([
    ['a refused connection', driverError('ECONNREFUSED', 'connect ECONNREFUSED 127.0.0.1:5432')],
    [
      'a server shutting down (57P01)',
      driverError('57P01', 'terminating connection due to administrator command'),
    ],
    ['a server still starting (57P03)', driverError('57P03', 'the database system is starting up')],
    ['a dropped connection', driverError(undefined, 'Connection terminated unexpectedly')],
    ['a pool that cannot connect in time', driverError(undefined, 'timeout exceeded when trying to connect')],
    ['too many connections (53300)', driverError('53300')],
  ])('reads %s as the database being unavailable', (_what, error) => {
    expect(toDatabaseException(error).code).toBe(DatabaseErrorCode.DATABASE_UNAVAILABLE);
  });

  it('reads a lock timeout as a refresh held elsewhere', () => {
    expect(
      toDatabaseException(new QueryFailedError('SELECT ...', ['secret-param'], driverError('55P03'))).code,
    ).toBe(DatabaseErrorCode.REFRESH_LOCK_TIMEOUT);
  });

  it('keeps the query and its parameters out of the exception', () => {
    const translated = toDatabaseException(
      new QueryFailedError(
        'INSERT INTO vault_tokens ...',
        ['v1.abc.ciphertext'],
        driverError('23505', 'duplicate key'),
      ),
    );
    expect(translated.code).toBe(DatabaseErrorCode.QUERY_FAILED);
    expect(translated.driverCode).toBe('23505');
    expect(JSON.stringify({ ...translated, message: translated.message })).not.toMatch(/ciphertext|INSERT/);
  });
});
