// Both CallStore backends on one test database: the Postgres store directly, and the Supabase
// store through the local Supabase fake (PostgREST RPCs on the same database). Store tests run
// every case against each, so the two backends cannot drift apart.
import { startSupabaseFake } from '../../test/fakes/supabase_api.ts';
import { createCallStore } from '../config/create_config_source.ts';
import type { CallStore } from '../config/types.ts';
import { PostgresCallStore } from '../store/postgres_call_store.ts';

export interface StoreUnderTest {
  store: CallStore;
  close(): Promise<void>;
}

/** [name, open] pairs for `describe.each`; databaseUrl is read when a backend opens. */
export function callStoreBackends(databaseUrl: () => string): Array<[string, () => Promise<StoreUnderTest>]> {
  return [
    [
      'postgres',
      async () => {
        const store = new PostgresCallStore({ databaseUrl: databaseUrl() });
        return { store, close: () => store.close() };
      },
    ],
    [
      'supabase',
      async () => {
        const fake = await startSupabaseFake({ databaseUrl: databaseUrl() });
        const store = createCallStore({ kind: 'supabase', supabaseUrl: fake.url, serviceRoleKey: fake.serviceRoleKey });
        return {
          store,
          close: async () => {
            await store.close?.();
            await fake.close();
          },
        };
      },
    ],
  ];
}
