// supabase-js rpc failures as AppErrors. Only "no answer" is retryable: status 0 (fetch failed
// or aborted) or a gateway/PostgREST that could not reach the database (502/503/504/520). A 4xx
// or a 500 is the database's own answer and would fail the same way again.
import { AppError } from '../../shared/errors.ts';

export function isUnanswered(status: number): boolean {
  return status === 0 || status === 502 || status === 503 || status === 504 || status === 520;
}

export function rpcError(fn: string, error: { message: string; code?: string }, status: number): AppError {
  if (isUnanswered(status)) {
    return new AppError('unavailable', `Supabase did not answer ${fn} (${status === 0 ? error.message : `HTTP ${status}`}).`, { cause: error, retryable: true });
  }
  return new AppError('invalid_request', `Supabase refused ${fn}: HTTP ${status} ${error.code ?? ''} ${error.message}`.replace(/\s+/g, ' '), { cause: error });
}
