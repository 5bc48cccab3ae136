// Database failures that mean "the database is down, unreachable, stalled or busy", not "our
// query is wrong" (shared/postgres_errors.ts): they become 503 `unavailable` with a Retry-After,
// so a caller retries instead of reporting a bug. Anything else stays unclassified (a logged 500).
import { AppError } from '../../../shared/errors.ts';
import { isRetryablePostgresError } from '../../../shared/postgres_errors.ts';

/** Retry-After sent with `unavailable`. */
export const DATABASE_RETRY_AFTER_MS = 5_000;

/** `error` as the AppError a caller should see: `unavailable` for an outage, else unchanged. */
export function classifyDatabaseError(error: unknown): unknown {
  if (error instanceof AppError || !isRetryablePostgresError(error)) return error;
  return new AppError('unavailable', 'The database is not answering right now. Try again in a few seconds.', {
    cause: { retryAfterMs: DATABASE_RETRY_AFTER_MS, error },
    retryable: true,
  });
}
