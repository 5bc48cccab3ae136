// The main process's side of the hub: the host's one config source (cache, preload, change
// delivery, reconcile) and one call store, served to the job processes on a Unix socket. Called
// inside main.ts's `argv[1]` guard: the agent module's top level runs again in every job process,
// and only main may open these connections. Per host, whatever the number of calls:
//   Postgres: 3 connections (config LISTEN, config resolutions, call records and the sweep).
//   Supabase: 1 Realtime socket, plus HTTP requests.
import { unlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createCallStore, createConfigSource } from '../config/create_config_source.ts';
import type { CachedConfigSource } from '../config/cached_config_source.ts';
import type { ConfigLogger } from '../config/config_log.ts';
import type { ConfigBackendEnv } from '../env.ts';
import type { CallStore } from '../store/call_store.ts';
import { HubServer } from './hub_server.ts';
import { removeStaleHubSockets } from './stale_hub_sockets.ts';

export interface StartHubOptions {
  backend: ConfigBackendEnv;
  /** The socket path; default defaultHubSocketPath(). */
  socketPath?: string;
  /** Deadline of each call-store request, in ms. */
  dbTimeoutMs: number;
  /** Periodic refetch of the cache, in ms (tests shorten it). Default the cache's 60 000. */
  reconcileIntervalMs?: number;
  logger?: ConfigLogger;
}

export interface RunningHub {
  server: HubServer;
  configSource: CachedConfigSource;
  callStore: CallStore;
  socketPath: string;
  close(): Promise<void>;
}

/** One socket per worker on a host: several workers may share a host and its temp directory. */
export function defaultHubSocketPath(pid: number = process.pid): string {
  return path.join(tmpdir(), `switchboard-hub-${pid}.sock`);
}

/**
 * Listens at once (job processes forked later connect in their prewarm), then starts change
 * delivery and preloads the cache in the background: a resolve before that goes to the database.
 */
export async function startHub(options: StartHubOptions): Promise<RunningHub> {
  const socketPath = options.socketPath ?? defaultHubSocketPath();
  const configSource = createConfigSource(options.backend, {
    postgres: { poolSize: 1 },
    ...(options.reconcileIntervalMs === undefined ? {} : { reconcileIntervalMs: options.reconcileIntervalMs }),
    ...(options.logger ? { logger: options.logger } : {}),
  });
  const callStore = createCallStore(options.backend, { timeoutMs: options.dbTimeoutMs, poolSize: 1 });
  const server = new HubServer({
    socketPath,
    configSource,
    callStore,
    ...(options.logger ? { logger: options.logger } : {}),
  });
  await server.listen();
  const warming = configSource.start().then(() => configSource.preload());
  return {
    server,
    configSource,
    callStore,
    socketPath,
    async close() {
      await server.close();
      await warming.catch(() => {});
      await Promise.all([configSource.close(), callStore.close?.()]);
    },
  };
}

/**
 * For main.ts, before the framework starts: the hub, with its socket file removed when the process
 * exits (and, in the background, sockets of killed workers nobody listens on), or null (logged)
 * when it cannot listen; job processes then connect to the database
 * themselves, as with WORKER_HUB=off.
 */
export async function startWorkerHub(options: StartHubOptions): Promise<RunningHub | null> {
  try {
    const hub = await startHub(options);
    void removeStaleHubSockets(path.dirname(hub.socketPath), hub.socketPath).then((removed) => {
      if (removed.length > 0) console.error(`worker: removed ${removed.length} hub socket(s) left by stopped workers`);
    });
    process.once('exit', () => {
      try {
        unlinkSync(hub.socketPath);
      } catch {
        // already gone
      }
    });
    return hub;
  } catch (error) {
    console.error(
      `worker: the hub could not listen (${error instanceof Error ? error.message : String(error)}); job processes will connect to the database themselves`,
    );
    return null;
  }
}
