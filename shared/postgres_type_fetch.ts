// Recognises the one unhandled rejection postgres.js can leave behind: the array-type read it
// starts on every new connection, rejected because the connection was lost meanwhile. Kept free
// of imports so the test runner's config, the worker and the Deno functions can all use it.
const TYPE_FETCH = 'from pg_catalog.pg_type';

/** True for the rejected type read of a connection that was reset, refused or closed meanwhile. */
export function isTypeFetchOnLostConnection(reason: unknown): boolean {
  const error = reason as { query?: unknown; code?: unknown } | null;
  return (
    typeof error?.query === 'string' &&
    error.query.includes(TYPE_FETCH) &&
    typeof error.code === 'string' &&
    /^(ECONNRESET|ECONNREFUSED|EPIPE|ETIMEDOUT|CONNECTION_CLOSED|CONNECTION_ENDED|CONNECTION_DESTROYED|57P0[1-3])$/.test(
      error.code,
    )
  );
}
