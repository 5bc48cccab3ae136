// postgres.js reads the server's array types right after a connection opens, from a promise
// nobody awaits. If the database resets the connection during that read, the rejection is
// unhandled, and Deno ends the isolate: every request it was serving fails, though the database
// blip was one the functions answer with 503 and recover from. The connection itself is already
// gone and postgres.js reconnects on next use, so this one rejection is logged and dropped; every
// other unhandled rejection stays fatal. The worker's Node guard is agent/store/postgres_type_fetch_guard.ts.
import { isTypeFetchOnLostConnection } from '../../../shared/postgres_type_fetch.ts';
import { log } from './log.ts';

let installed = false;

/** Installs the guard once per isolate; createDatabase calls it. */
export function guardPostgresTypeFetch(): void {
  if (installed) return;
  installed = true;
  globalThis.addEventListener('unhandledrejection', (event) => {
    if (!isTypeFetchOnLostConnection(event.reason)) return;
    event.preventDefault();
    log.warn(
      { code: (event.reason as { code: string }).code },
      'a connection was lost while postgres.js read its types; it reconnects on next use',
    );
  });
}
