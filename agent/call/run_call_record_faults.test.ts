// Nothing lost: a call's row reaches the database whatever the database does during the call.
// The real call flow (text mode, the OpenAI fake, the LiveKit fake) writes through each call
// store, through a fault proxy: to the database for Postgres, to the PostgREST fake for Supabase. The outages here last a second or two; the queue's retry delays are
// milliseconds (in production 250 ms doubling to 10 s). Nothing in the queue depends on how long
// the outage lasts: it keeps the writes and tries again, so a five-minute outage goes the same
// way, only with more attempts. Each case checks that call.finished resolves within a bound while
// the database is away, then that the row is complete once it is back.
import { initializeLogger, log } from '@livekit/agents';
import { testLogLevel } from '../testing/test_log_level.ts';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../../test/db/harness.ts';
import { FakeLiveKit } from '../../test/fakes/livekit.ts';
import { type FakeOpenAI, startFakeOpenAI } from '../../test/fakes/openai.ts';
import { startSupabaseFake, type SupabaseFake } from '../../test/fakes/supabase_api.ts';
import { startTcpProxy, type TcpProxy } from '../../test/fakes/tcp_proxy.ts';
import { seedAgent } from '../config/_test_fixtures.ts';
import type { CachedConfigSource } from '../config/cached_config_source.ts';
import { createConfigSource } from '../config/create_config_source.ts';
import type { CallStore } from '../store/call_store.ts';
import { DurableWrites } from '../store/durable_writes.ts';
import { PostgresCallStore } from '../store/postgres_call_store.ts';
import { SupabaseCallStore } from '../store/supabase_call_store.ts';
import { fakeLiveKitCall } from '../testing/fake_livekit_call.ts';
import { textProviders } from './text_providers.ts';
import { runCall } from './run_call.ts';

const STORE_TIMEOUT_MS = 500;
const END_WAIT_MS = 300;
/** call.finished while the database is away: the end's wait, plus the hang-up and slack. */
const FINISHES_WITHIN_MS = END_WAIT_MS + 2_000;
const FAST_RETRIES = { firstRetryDelayMs: 10, maxRetryDelayMs: 100 };

let db: TestDatabase;
let openai: FakeOpenAI;
let livekit: FakeLiveKit;
let dbProxy: TcpProxy;
let apiProxy: TcpProxy;
let supabase: SupabaseFake;
let source: CachedConfigSource;

beforeAll(async () => {
  initializeLogger({ pretty: false, level: testLogLevel() });
  [db, openai, livekit] = await Promise.all([createTestDatabase(), startFakeOpenAI(), FakeLiveKit.start()]);
  supabase = await startSupabaseFake({ databaseUrl: db.url });
  [dbProxy, apiProxy] = await Promise.all([proxyTo(db.url), proxyTo(supabase.url)]);
  // The config comes straight from the database: only the call's writes meet the faults.
  source = createConfigSource({ kind: 'postgres', databaseUrl: db.url }, { reconcileIntervalMs: 0 });
  await source.start();
});
afterAll(async () => {
  await source.close();
  await Promise.all([dbProxy.close(), apiProxy.close()]);
  await supabase.close();
  await Promise.all([db.close(), openai.close(), livekit.close()]);
});

function proxyTo(url: string): Promise<TcpProxy> {
  const target = new URL(url);
  return startTcpProxy({ host: target.hostname, port: Number(target.port) });
}

const BACKENDS: Array<[string, () => { store: CallStore; proxy: TcpProxy }]> = [
  [
    'postgres',
    () => ({
      proxy: dbProxy,
      store: new PostgresCallStore({
        databaseUrl: dbProxy.rewrite(db.url),
        timeoutMs: STORE_TIMEOUT_MS,
        connectTimeoutMs: 300,
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
        timeoutMs: STORE_TIMEOUT_MS,
      }),
    }),
  ],
];

describe.each(BACKENDS)('a call recorded through the %s store while the database misbehaves', (_kind, openStore) => {
  let store: CallStore;
  let proxy: TcpProxy;
  let writes: DurableWrites;
  const roomNames: string[] = [];
  beforeAll(() => {
    ({ store, proxy } = openStore());
    writes = new DurableWrites(FAST_RETRIES);
  });
  afterEach(() => proxy.setMode({ kind: 'pass' }));
  afterAll(async () => {
    await proxy.setMode({ kind: 'pass' });
    expect(await writes.drain(10_000)).toBe(true);
    // Zero lost, zero open: every call this suite made has its row, and every row is closed.
    const rows = await db.sql`select room_name, ended_at from public.calls where room_name = any(${roomNames})`;
    expect(rows).toHaveLength(roomNames.length);
    expect(rows.filter((row) => row.ended_at === null)).toEqual([]);
    await store.close?.();
  });

  async function startCall(dialed: string) {
    const { info, controls, roomName } = fakeLiveKitCall(livekit, dialed);
    roomNames.push(roomName);
    const deps = {
      configSource: source,
      callStore: store,
      callWrites: writes,
      providers: textProviders({ openaiApiKey: openai.apiKey, openaiBaseUrl: openai.baseUrl }),
      controls,
      logger: log(),
    };
    return runCall(info, deps, { callRecord: { endWaitMs: END_WAIT_MS, heartbeatIntervalMs: 100 } });
  }

  /** Ends the call and says how long call.finished took. */
  async function endCall(call: Awaited<ReturnType<typeof startCall>>) {
    const began = performance.now();
    await call.end('agent_hangup');
    const outcome = await call.finished;
    return { outcome, finishedAfterMs: performance.now() - began };
  }

  const rowOf = async (roomName: string) => (await db.sql`select * from public.calls where room_name = ${roomName}`)[0];

  it('writes the start and the end once the database is back, when it refused connections for the whole call', async () => {
    const agent = await seedAgent(db);
    await proxy.setMode({ kind: 'refuse' });
    const call = await startCall(agent.e164);
    const { outcome, finishedAfterMs } = await endCall(call);
    expect(finishedAfterMs).toBeLessThan(FINISHES_WITHIN_MS);
    expect(outcome.callRowId).toEqual(expect.any(String));
    expect(await rowOf(roomNames.at(-1)!)).toBeUndefined();

    await proxy.setMode({ kind: 'pass' });
    expect(await writes.drain(10_000)).toBe(true);
    const row = await rowOf(roomNames.at(-1)!);
    expect(row).toMatchObject({
      id: outcome.callRowId,
      owner_id: agent.ownerId,
      agent_config_id: agent.configId,
      end_reason: 'agent_hangup',
      answered_at: expect.any(Date),
    });
    expect(await call.recorded).toBe(outcome.callRowId);
  }, 30_000);

  it('completes the row once the database is back, when it went away after the start', async () => {
    const agent = await seedAgent(db);
    const call = await startCall(agent.e164);
    const id = await call.recorded;
    expect((await rowOf(roomNames.at(-1)!))?.ended_at).toBeNull();
    await proxy.setMode({ kind: 'refuse' });
    const { finishedAfterMs } = await endCall(call);
    expect(finishedAfterMs).toBeLessThan(FINISHES_WITHIN_MS);
    expect((await rowOf(roomNames.at(-1)!))?.ended_at).toBeNull();

    await proxy.setMode({ kind: 'pass' });
    expect(await writes.drain(10_000)).toBe(true);
    expect(await rowOf(roomNames.at(-1)!)).toMatchObject({ id, end_reason: 'agent_hangup' });
  }, 30_000);

  it('finishes in bounded time and completes the row later, when the database resets connections, then freezes', async () => {
    const agent = await seedAgent(db);
    const call = await startCall(agent.e164);
    await call.recorded;
    await proxy.setMode({ kind: 'reset' });
    await new Promise((resolve) => setTimeout(resolve, 300)); // heartbeats meet the resets
    await proxy.setMode({ kind: 'stall' });
    const { finishedAfterMs } = await endCall(call);
    expect(finishedAfterMs).toBeLessThan(FINISHES_WITHIN_MS);

    await proxy.setMode({ kind: 'pass' });
    expect(await writes.drain(10_000)).toBe(true);
    expect(await rowOf(roomNames.at(-1)!)).toMatchObject({ end_reason: 'agent_hangup' });
  }, 30_000);

  it('records a call whose config was deleted after it answered, before its row could be written', async () => {
    const agent = await seedAgent(db);
    await proxy.setMode({ kind: 'refuse' });
    const call = await startCall(agent.e164);
    expect(call.callConfig).toMatchObject({ kind: 'agent', agentConfigId: agent.configId });
    await db.sql`delete from public.agent_configs where id = ${agent.configId}`;
    await endCall(call);

    await proxy.setMode({ kind: 'pass' });
    expect(await writes.drain(10_000)).toBe(true);
    expect(await rowOf(roomNames.at(-1)!)).toMatchObject({
      owner_id: agent.ownerId,
      agent_config_id: null,
      config_version: 1,
      end_reason: 'agent_hangup',
    });
  }, 30_000);
});
