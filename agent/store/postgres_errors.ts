// What a postgres.js failure means for a call-store write: the database could not be reached or
// gave up on the statement (retryable), or it refused the write (not retryable: the same write
// would be refused again).
import { AppError } from '../../shared/errors.ts';

/** SQLSTATE classes and codes, and postgres.js / Node socket codes, worth trying again. */
const RETRYABLE = /^(08|53|57P0|57014|40001|40P01|55P03|ECONN|ETIMEDOUT|EHOSTUNREACH|ENOTFOUND|EPIPE|CONNECT_TIMEOUT|CONNECTION_)/;

export function toStoreError(error: unknown, what: string): AppError {
  if (error instanceof AppError) return error;
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code === 'string' && RETRYABLE.test(code)) {
    const message = code === '57014' ? `The calls database cancelled ${what} (statement_timeout).` : `The calls database is unreachable (${what}: ${code}).`;
    return new AppError(code === '57014' ? 'timeout' : 'unavailable', message, { cause: error, retryable: true });
  }
  const message = (error as { message?: unknown } | null)?.message;
  return new AppError('invalid_request', `The calls database refused ${what}: ${typeof message === 'string' ? message : 'unknown error'}`, { cause: error });
}
