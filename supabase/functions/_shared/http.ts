// Responses: one JSON helper, one error renderer. Every error leaves as
// {"error": {"code", "message"}} with the status from ERROR_STATUS; anything unexpected is
// logged here and the caller gets a generic 500 (`internal`), never a stack trace.
import { AppError, ERROR_STATUS } from '../../../shared/errors.ts';
import { log } from './log.ts';

export interface ErrorBody {
  error: { code: string; message: string };
}

export function jsonResponse(body: unknown, status = 200, headers: HeadersInit = {}): Response {
  const merged = new Headers(headers);
  merged.set('content-type', 'application/json; charset=utf-8');
  return new Response(JSON.stringify(body), { status, headers: merged });
}

export function toErrorResponse(error: unknown, context: Record<string, unknown> = {}): Response {
  const known = error instanceof AppError ? error : unexpected(error, context);
  const headers = new Headers();
  const retryAfterMs = (known.cause as { retryAfterMs?: unknown } | undefined)?.retryAfterMs;
  if (typeof retryAfterMs === 'number') headers.set('retry-after', String(Math.max(1, Math.ceil(retryAfterMs / 1000))));
  const status = ERROR_STATUS[known.code];
  if (status >= 500 && known.code !== 'internal')
    log.warn({ ...context, code: known.code, err: known.cause }, known.message);
  const body: ErrorBody = { error: { code: known.code, message: known.message } };
  return jsonResponse(body, status, headers);
}

function unexpected(error: unknown, context: Record<string, unknown>): AppError {
  log.error({ ...context, err: error }, 'unhandled error');
  return new AppError('internal', 'Something went wrong on our side. Try again.');
}

/** An AppError carrying a Retry-After hint (milliseconds) for 429/503 answers. */
export function retryAfterError(
  code: 'rate_limited' | 'tts_rate_limited',
  message: string,
  retryAfterMs: number,
): AppError {
  return new AppError(code, message, { cause: { retryAfterMs }, retryable: true });
}
