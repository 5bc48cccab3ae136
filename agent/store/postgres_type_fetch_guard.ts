// postgres.js reads the server's array types right after a connection opens, from a promise
// nobody awaits (connection.js: `return fetchArrayTypes()` in the ReadyForQuery handler). If the
// database resets the connection during that read, the rejection is unhandled, and Node ends the
// process: the worker's main process would die in a database blip it is built to ride out. The
// connection itself is already gone and postgres.js reconnects on next use, so this one rejection
// is logged and dropped; every other unhandled rejection still ends the process as before.
import { defaultConfigLogger } from '../config/config_log.ts';
import { isTypeFetchOnLostConnection } from '../../shared/postgres_type_fetch.ts';

let installed = false;

/** Installs the guard once per process; call it wherever a postgres.js client is created. */
export function guardPostgresTypeFetch(): void {
  if (installed) return;
  installed = true;
  const log = defaultConfigLogger('postgres');
  process.on('unhandledRejection', (reason) => {
    if (isTypeFetchOnLostConnection(reason)) {
      log.warn(
        { code: (reason as { code: string }).code },
        'a connection was lost while postgres.js read its types; it reconnects on next use',
      );
      return;
    }
    throw reason;
  });
}
