// supabase-js rpc failures as AppErrors, by the project's one retry rule. With a SQLSTATE in the
// body (PostgREST passes the database's error on), the Postgres classifier decides
// (shared/postgres_errors.ts): a deadlock or a statement_timeout answered as 500 may succeed
// again, a raised exception will not. Without one, the HTTP status decides (isRetryableStatus:
// 5xx, 408, 429), and status 0 is a fetch that failed or was aborted.
import { AppError, isRetryableStatus } from '../../shared/errors.ts';
import { classifyPostgresError } from '../../shared/postgres_errors.ts';

const SQLSTATE = /^[0-9A-Z]{5}$/;

export function rpcError(fn: string, error: { message: string; code?: string }, status: number): AppError {
  if (status === 0) {
    return new AppError('unavailable', `Supabase did not answer ${fn} (${error.message}).`, {
      cause: error,
      retryable: true,
    });
  }
  const failure =
    error.code && SQLSTATE.test(error.code)
      ? classifyPostgresError(error)
      : isRetryableStatus(status)
        ? 'unreachable'
        : 'refused';
  const detail = `HTTP ${status} ${error.code ?? ''} ${error.message}`.replace(/\s+/g, ' ').trim();
  if (failure === 'refused')
    return new AppError('invalid_request', `Supabase refused ${fn}: ${detail}`, { cause: error });
  return new AppError(
    failure === 'timeout' ? 'timeout' : 'unavailable',
    `Supabase could not run ${fn} now (${detail}).`,
    { cause: error, retryable: true },
  );
}
