// Both call stores when the database misbehaves: every request settles within its deadline with a
// retryable AppError, whether the database refuses connections, resets them, or freezes (a warm
// pooled connection that stops answering), and the store works again once the database is back.
// The Postgres store reaches the database through a fault proxy; the Supabase store reaches the
// PostgREST fake through another (a frozen path is then a request nobody answers).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { unknownCallStart } from '../testing/call_starts.ts';
import { createTestDatabase, type TestDatabase } from '../../test/db/harness.ts';
import { startSupabaseFake, type SupabaseFake } from '../../test/fakes/supabase_api.ts';
import { startTcpProxy, type ProxyMode, type TcpProxy } from '../../test/fakes/tcp_proxy.ts';
import type { CallStore } from './call_store.ts';
import { PostgresCallStore } from './postgres_call_store.ts';
import { SupabaseCallStore } from './supabase_call_store.ts';

const TIMEOUT_MS = 600;
/** The deadline, plus the connect timeout a refused or reset connection may take, plus slack. */
const SETTLES_WITHIN_MS = TIMEOUT_MS + 1_500;

let db: TestDatabase;
let dbProxy: TcpProxy;
let supabase: SupabaseFake;
let apiProxy: TcpProxy;
beforeAll(async () => {
  db = await createTestDatabase();
  supabase = await startSupabaseFake({ databaseUrl: db.url });
  dbProxy = await proxyTo(db.url);
  apiProxy = await proxyTo(supabase.url);
});
afterAll(async () => {
  await Promise.all([dbProxy.close(), apiProxy.close()]);
  await supabase.close();
  await db.close();
});

function proxyTo(url: string): Promise<TcpProxy> {
  const target = new URL(url);
  return startTcpProxy({ host: target.hostname, port: Number(target.port) });
}

const backends: Array<[string, () => { store: CallStore; proxy: TcpProxy }]> = [
  [
    'postgres',
    () => ({
      proxy: dbProxy,
      store: new PostgresCallStore({
        databaseUrl: dbProxy.rewrite(db.url),
        timeoutMs: TIMEOUT_MS,
        connectTimeoutMs: 500,
      }),
    }),
  ],
  [
    'supabase',
    () => ({
      proxy: apiProxy,
      store: new SupabaseCallStore({
        supabaseUrl: apiProxy.rewrite(supabase.url),
        serviceRoleKey: supabase.serviceRoleKey,
        timeoutMs: TIMEOUT_MS,
      }),
    }),
  ],
];

const FAULTS: ProxyMode[] = [
  { kind: 'refuse' },
  { kind: 'reset' },
  { kind: 'stall' },
  { kind: 'stall_after', bytes: 5 },
];

describe.each(backends)('%s call store with a misbehaving database', (name, open) => {
  let store: CallStore;
  let proxy: TcpProxy;
  beforeAll(() => {
    ({ store, proxy } = open());
  });
  afterAll(async () => {
    await proxy.setMode({ kind: 'pass' });
    await store.close?.();
  });

  it.each(FAULTS)(
    'settles every request within its deadline when the database does $kind, then works again',
    async (fault) => {
      await store.recordCall(crypto.randomUUID(), unknownCallStart()); // a warm pool: the fault hits open connections too
      await proxy.setMode(fault);
      for (const request of [
        () => store.recordCall(crypto.randomUUID(), unknownCallStart()),
        () => store.heartbeat(crypto.randomUUID()),
        () => store.sweepLostCalls(60_000),
      ]) {
        const began = performance.now();
        const error = await request().then(
          () => null,
          (e: unknown) => e,
        );
        expect(error).toMatchObject({ name: 'AppError', retryable: true });
        expect(performance.now() - began).toBeLessThan(SETTLES_WITHIN_MS);
      }
      await proxy.setMode({ kind: 'pass' });
      const callId = crypto.randomUUID();
      expect(await store.recordCall(callId, unknownCallStart())).toBe(callId);
    },
    20_000,
  );

  if (name === 'postgres')
    it('names the deadline in its error when the database freezes', async () => {
      await store.recordCall(crypto.randomUUID(), unknownCallStart());
      await proxy.setMode({ kind: 'stall' });
      await expect(store.recordCall(crypto.randomUUID(), unknownCallStart())).rejects.toMatchObject({
        code: 'timeout',
        message: `The calls database did not answer record_call within ${TIMEOUT_MS} ms.`,
      });
      await proxy.setMode({ kind: 'pass' });
    });
});
