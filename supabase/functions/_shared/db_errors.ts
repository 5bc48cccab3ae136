// Database failures that mean "the database is down, unreachable or stalled", not "our query is
// wrong": they become 503 `unavailable` with a Retry-After, so a caller retries instead of
// reporting a bug. Anything else stays unclassified (a logged 500).
import { AppError } from '../../../shared/errors.ts';
import { DeadlineExceeded } from '../../../shared/deadline.ts';

/** Retry-After sent with `unavailable`. */
export const DATABASE_RETRY_AFTER_MS = 5_000;

/** Socket errors and postgres.js connection errors (its `code`), by name. */
const CONNECTION_CODES = new Set([
  'ECONNREFUSED', 'ECONNRESET', 'ECONNABORTED', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN',
  'CONNECT_TIMEOUT', 'CONNECTION_CLOSED', 'CONNECTION_ENDED', 'CONNECTION_DESTROYED',
]);
/** Deno's own network error classes, when an error comes from Deno rather than node:net. */
const CONNECTION_NAMES = new Set(['ConnectionRefused', 'ConnectionReset', 'ConnectionAborted', 'BrokenPipe', 'TimedOut', 'NotConnected']);
/** SQLSTATEs: 08 connection exception; 57014 statement_timeout; 57P01-57P03 shutting down; 53300 too many connections. */
const UNAVAILABLE_SQLSTATE = /^(08...|57014|57P0[1-3]|53300)$/;

export function isDatabaseUnavailable(error: unknown): boolean {
  if (error instanceof DeadlineExceeded) return true;
  if (!error || typeof error !== 'object') return false;
  const { code, name } = error as { code?: unknown; name?: unknown };
  if (typeof code === 'string' && (CONNECTION_CODES.has(code) || UNAVAILABLE_SQLSTATE.test(code))) return true;
  return typeof name === 'string' && CONNECTION_NAMES.has(name);
}

/** `error` as the AppError a caller should see: `unavailable` for an outage, else unchanged. */
export function classifyDatabaseError(error: unknown): unknown {
  if (error instanceof AppError || !isDatabaseUnavailable(error)) return error;
  return new AppError('unavailable', 'The database is not answering right now. Try again in a few seconds.', {
    cause: { retryAfterMs: DATABASE_RETRY_AFTER_MS, error },
    retryable: true,
  });
}
