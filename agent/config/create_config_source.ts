// Builds the worker's ConfigSource and CallStore for the backend agent/env.ts picked:
//   SUPABASE_URL + SUPABASE_SERVICE_ROLE_KEY -> Supabase (rpc + Realtime postgres_changes)
//   DATABASE_URL                             -> Postgres (direct connection + LISTEN/NOTIFY)
// Both sources share one cache (cached_config_source.ts); both stores call the same RPCs.
import type { ConfigBackendEnv } from '../env.ts';
import { PostgresCallStore } from '../store/postgres_call_store.ts';
import { SupabaseCallStore } from '../store/supabase_call_store.ts';
import { CachedConfigSource, type CachedConfigSourceOptions } from './cached_config_source.ts';
import { PostgresConfigBackend, type PostgresBackendOptions } from './postgres_backend.ts';
import { SupabaseConfigBackend, type SupabaseBackendOptions } from './supabase_backend.ts';
import type { CallStore } from './types.ts';

export interface ConfigSourceFactoryOptions extends CachedConfigSourceOptions {
  postgres?: Omit<PostgresBackendOptions, 'databaseUrl'>;
  supabase?: Omit<SupabaseBackendOptions, 'supabaseUrl' | 'serviceRoleKey'>;
}

export function createConfigSource(
  backend: ConfigBackendEnv,
  options: ConfigSourceFactoryOptions = {},
): CachedConfigSource {
  const { postgres, supabase, ...cacheOptions } = options;
  const source =
    backend.kind === 'postgres'
      ? new PostgresConfigBackend({ databaseUrl: backend.databaseUrl, logger: options.logger, ...postgres })
      : new SupabaseConfigBackend({
          supabaseUrl: backend.supabaseUrl,
          serviceRoleKey: backend.serviceRoleKey,
          logger: options.logger,
          ...supabase,
        });
  return new CachedConfigSource(source, cacheOptions);
}

export interface CallStoreFactoryOptions {
  /** Deadline of each request, in ms. Default DEFAULT_CALL_STORE_TIMEOUT_MS. */
  timeoutMs?: number;
  /** Postgres pool size. Default 2. */
  poolSize?: number;
}

export function createCallStore(backend: ConfigBackendEnv, options: CallStoreFactoryOptions = {}): CallStore {
  const { timeoutMs, poolSize } = options;
  if (backend.kind === 'postgres') {
    return new PostgresCallStore({
      databaseUrl: backend.databaseUrl,
      ...(timeoutMs ? { timeoutMs } : {}),
      ...(poolSize ? { poolSize } : {}),
    });
  }
  return new SupabaseCallStore({
    supabaseUrl: backend.supabaseUrl,
    serviceRoleKey: backend.serviceRoleKey,
    ...(timeoutMs ? { timeoutMs } : {}),
  });
}
