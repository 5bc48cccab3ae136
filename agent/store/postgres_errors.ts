// What a postgres.js failure means for a call-store write (classified by
// shared/postgres_errors.ts): the database could not be reached, was busy or gave up on the
// statement (retryable), or it refused the write (not retryable: the same write would be
// refused again).
import { AppError } from '../../shared/errors.ts';
import { classifyPostgresError } from '../../shared/postgres_errors.ts';

export function toStoreError(error: unknown, what: string): AppError {
  if (error instanceof AppError) return error;
  const { code, message } = (error ?? {}) as { code?: unknown; message?: unknown };
  switch (classifyPostgresError(error)) {
    case 'timeout': {
      const why = code === '57014' ? `cancelled ${what} (statement_timeout)` : `did not answer ${what} in time`;
      return new AppError('timeout', `The calls database ${why}.`, { cause: error, retryable: true });
    }
    case 'unreachable':
    case 'busy':
      return new AppError('unavailable', `The calls database is unreachable (${what}: ${String(code)}).`, {
        cause: error,
        retryable: true,
      });
    case 'refused':
      return new AppError(
        'invalid_request',
        `The calls database refused ${what}: ${typeof message === 'string' ? message : 'unknown error'}`,
        { cause: error },
      );
  }
}
