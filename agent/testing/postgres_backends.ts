// The worker's real Postgres config source and call store on a test or bench database, started
// the way the worker starts them (no periodic reconcile, so tests see only what they cause).
import type { CachedConfigSource } from '../config/cached_config_source.ts';
import { createCallStore, createConfigSource } from '../config/create_config_source.ts';
import type { CallStore } from '../config/types.ts';

export interface PostgresBackends {
  source: CachedConfigSource;
  store: CallStore;
  close(): Promise<void>;
}

export async function openPostgresBackends(databaseUrl: string): Promise<PostgresBackends> {
  const backend = { kind: 'postgres' as const, databaseUrl };
  const source = createConfigSource(backend, { reconcileIntervalMs: 0 });
  const store = createCallStore(backend);
  await source.start();
  return {
    source,
    store,
    async close() {
      await source.close();
      await store.close?.();
    },
  };
}
