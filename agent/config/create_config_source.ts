// Builds the worker's ConfigSource and CallStore for the backend agent/env.ts picked:
//   SUPABASE_URL + SUPABASE_SERVICE_ROLE_KEY -> Supabase (rpc + Realtime postgres_changes)
//   DATABASE_URL                             -> Postgres (direct connection + LISTEN/NOTIFY)
// Both sources share one cache (cached_config_source.ts); both stores call the same RPCs.
import type { CallStore } from './types.ts';
import { PostgresCallStore } from '../store/postgres_call_store.ts';
import { CachedConfigSource, type CachedConfigSourceOptions } from './cached_config_source.ts';
import { PostgresConfigBackend, type PostgresBackendOptions } from './postgres_backend.ts';

/** Same shape as agent/env.ts ConfigBackendEnv. */
export type ConfigBackendSettings =
  | { kind: 'postgres'; databaseUrl: string }
  | { kind: 'supabase'; supabaseUrl: string; serviceRoleKey: string };

export interface ConfigSourceFactoryOptions extends CachedConfigSourceOptions {
  postgres?: Omit<PostgresBackendOptions, 'databaseUrl'>;
}

export function createConfigSource(backend: ConfigBackendSettings, options: ConfigSourceFactoryOptions = {}): CachedConfigSource {
  const { postgres, ...cacheOptions } = options;
  if (backend.kind === 'postgres') {
    return new CachedConfigSource(
      new PostgresConfigBackend({ databaseUrl: backend.databaseUrl, logger: options.logger, ...postgres }),
      cacheOptions,
    );
  }
  throw new Error('the Supabase config source is not built yet');
}

export function createCallStore(backend: ConfigBackendSettings): CallStore {
  if (backend.kind === 'postgres') return new PostgresCallStore({ databaseUrl: backend.databaseUrl });
  throw new Error('the Supabase call store is not built yet');
}
