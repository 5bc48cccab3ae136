// A job process's config source and call store when its worker runs a hub (WORKER_HUB_SOCKET is
// set by the main process): both reach the main process over the hub's socket, so the process
// opens no database connection and preloads nothing while it idles. Its call store writes
// directly (one connection of its own, opened on first use) only while the hub is unreachable.
import { log } from '@livekit/agents';
import { createCallStore } from '../config/create_config_source.ts';
import type { CallStore, ConfigSource } from '../config/types.ts';
import type { WorkerEnv } from '../env.ts';
import { HubCallStore } from './hub_call_store.ts';
import { HubClient } from './hub_client.ts';
import { HubConfigSource } from './hub_config_source.ts';

export interface HubProcessData {
  configSource: ConfigSource;
  callStore: CallStore;
}

/** Connects to the hub (bounded: an unreachable hub is retried in the background) and returns the process's source and store. */
export async function connectToHub(env: WorkerEnv, socketPath: string): Promise<HubProcessData> {
  const client = new HubClient({ socketPath });
  const configSource = new HubConfigSource(client);
  const callStore = new HubCallStore(client, {
    direct: () => {
      log().warn({}, 'worker hub unreachable: writing call records directly');
      return createCallStore(env.backend, { timeoutMs: env.callRecords.dbTimeoutMs, poolSize: 1 });
    },
  });
  await configSource.start();
  return { configSource, callStore };
}
