// The Supabase config source: real supabase-js against local PostgREST-RPC and Realtime (Phoenix
// v2) fakes that read the real database. A change made in SQL reaches watchers; lost events,
// dropped sockets, a late ready message, closed or stuck channels and an unreachable project
// never leave a stale config behind; an older answer never replaces a newer one. Every case runs
// against both kinds of Realtime server: one that holds the join until changes flow
// (postgres_changes_options.wait) and one that ignores `wait` (older hosted, self-hosted and CLI
// versions), which answers the join at once and reports a failed subscription only in a
// `system` message. The project's limits (events per second, record size) and a project that
// allows only private channels are faults the worker must survive or report.
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { ResolvedAgentConfig } from '../../shared/agent_config.ts';
import { createTestDatabase, type TestDatabase } from '../../test/db/harness.ts';
import { DEFAULT_REALTIME_KNOBS } from '../../test/fakes/supabase_realtime.ts';
import { startSupabaseFake, type SupabaseFake } from '../../test/fakes/supabase_api.ts';
import { eventually, recordingLogger, seedAgent, type SeededAgent } from './_test_fixtures.ts';
import { CachedConfigSource, type CachedConfigSourceOptions } from './cached_config_source.ts';
import { SupabaseConfigBackend, type SupabaseBackendOptions } from './supabase_backend.ts';

let db: TestDatabase;
let fake: SupabaseFake;

/** Polls an async read until it yields a value, for what the worker writes in the background. */
async function until<T>(read: () => Promise<T | undefined>, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
const open: CachedConfigSource[] = [];

beforeAll(async () => {
  db = await createTestDatabase();
  fake = await startSupabaseFake({ databaseUrl: db.url });
});
/** The two server behaviours every case runs against (set per describe block below). */
const SERVERS = [
  { server: 'a server holding the join until changes flow (wait)', honorWait: true },
  { server: 'a server ignoring wait', honorWait: false },
] as const;
let honorWait = true;

beforeEach(() => {
  Object.assign(fake.realtime.knobs, DEFAULT_REALTIME_KNOBS, { honorWait });
  fake.rest.hold = false;
  fake.rest.holdFunctions.clear();
  fake.rest.release();
});
afterEach(async () => {
  await Promise.all(open.splice(0).map((source) => source.close()));
});
afterAll(async () => {
  await fake.close();
  await db.close();
});

interface Started {
  source: CachedConfigSource;
  backend: SupabaseConfigBackend;
}

/** Starts a source; unless `live` is false (delivery cannot come up), waits until it is live and refetched. */
async function startSource(
  backend: Partial<SupabaseBackendOptions> = {},
  options: CachedConfigSourceOptions = {},
  live = true,
): Promise<Started> {
  const supabase = new SupabaseConfigBackend({
    supabaseUrl: fake.url,
    serviceRoleKey: fake.serviceRoleKey,
    reconnectDelaysMs: [50],
    recreateDelaysMs: [50],
    watchdogMs: 1_000,
    ...backend,
  });
  const source = new CachedConfigSource(supabase, { reconcileIntervalMs: 0, ...options });
  open.push(source);
  await source.start();
  // SUBSCRIBED and the ready message are two resyncs; tests start once both refetches landed.
  if (live && fake.realtime.knobs.readyDelayMs === 0) {
    await expect.poll(() => source.stats.resyncs).toBe(2);
    await source.idle();
  }
  return { source, backend: supabase };
}

async function watched(source: CachedConfigSource, agent: SeededAgent): Promise<ResolvedAgentConfig[]> {
  await source.resolve(agent.e164);
  const seen: ResolvedAgentConfig[] = [];
  source.watch(agent.e164, (next) => seen.push(next));
  return seen;
}

const rpcCalls = (fn: string) => fake.rest.calls.get(fn) ?? 0;

describe.each(SERVERS)('Supabase config source, on $server', (mode) => {
  beforeAll(() => {
    honorWait = mode.honorWait;
  });

  it('delivers a change made in SQL through Realtime, refetched by rpc, and logs its version', async () => {
    const agent = await seedAgent(db);
    const logger = recordingLogger();
    const { source } = await startSource({}, { logger });
    const seen = await watched(source, agent);
    const sent = fake.realtime.stats.messagesSent;

    await db.sql`update public.agent_configs set system_prompt = 'Speak like a pirate.' where id = ${agent.configId}`;
    const next = await eventually(() => seen[0]);
    expect(next.config?.system_prompt).toBe('Speak like a pirate.');
    expect(next.config?.version).toBe(2);
    expect(fake.realtime.stats.messagesSent).toBeGreaterThan(sent);
    expect(logger.entries.find((e) => e.message === 'config change applied')?.fields).toMatchObject({
      version: 2,
      config_id: agent.configId,
    });
  });

  it('answers a warm resolve with zero rpc round trips', async () => {
    const agent = await seedAgent(db);
    const { source } = await startSource();
    expect((await source.resolve(agent.e164)).origin).toBe('database');
    const before = rpcCalls('resolve_agent_config');
    for (let i = 0; i < 20; i += 1) expect((await source.resolve(agent.e164)).origin).toBe('cache');
    expect(rpcCalls('resolve_agent_config')).toBe(before);
  });

  it('preloads the configured numbers: a call resolves with zero rpc round trips, and SQL changes still arrive', async () => {
    const agents = [await seedAgent(db), await seedAgent(db)];
    const { source } = await startSource();
    const listed = rpcCalls('list_configured_numbers');
    const result = await source.preload();
    expect(result.failed).toBe(false);
    expect(result.loaded).toBeGreaterThanOrEqual(agents.length);
    expect(rpcCalls('list_configured_numbers')).toBe(listed + 1);

    const resolves = () => rpcCalls('resolve_agent_config') + rpcCalls('resolve_agent_configs');
    const before = resolves();
    for (const agent of agents) {
      const call = await source.resolve(agent.e164);
      expect(call.origin).toBe('cache');
      expect(call.resolved.config?.id).toBe(agent.configId);
    }
    expect(resolves()).toBe(before);

    const target = agents[0]!;
    const seen: ResolvedAgentConfig[] = [];
    source.watch(target.e164, (next) => seen.push(next));
    await db.sql`update public.agent_configs set system_prompt = 'Preloaded, still live.' where id = ${target.configId}`;
    expect((await eventually(() => seen[0])).config).toMatchObject({
      system_prompt: 'Preloaded, still live.',
      version: 2,
    });
    expect(await source.resolve(target.e164)).toMatchObject({ origin: 'cache', resolved: { config: { version: 2 } } });
  });

  it('recovers a change made while the socket was down by refetching on rejoin', async () => {
    const agent = await seedAgent(db);
    const { source } = await startSource();
    const seen = await watched(source, agent);
    const resyncs = source.stats.resyncs;

    fake.realtime.knobs.acceptConnections = false;
    fake.realtime.dropSockets();
    await eventually(() => !source.stats.deliveryLive || undefined);
    const received = fake.realtime.stats.changesReceived;
    await db.sql`update public.agent_configs set greeting = 'Missed me?' where id = ${agent.configId}`;
    // The fake saw the commit but had nobody to send it to: the event is gone.
    await eventually(() => fake.realtime.stats.changesReceived > received || undefined);
    expect(seen).toEqual([]);

    fake.realtime.knobs.acceptConnections = true;
    const next = await eventually(() => seen[0]);
    expect(next.config?.greeting).toBe('Missed me?');
    expect(source.stats.resyncs).toBeGreaterThan(resyncs);
  });

  it('catches a lost event with the periodic reconcile', async () => {
    const agent = await seedAgent(db);
    const { source } = await startSource({}, { reconcileIntervalMs: 150 });
    const seen = await watched(source, agent);
    fake.realtime.knobs.loseEvents = true;
    const lost = fake.realtime.stats.changesLost;
    await db.sql`update public.agent_configs set llm_model = 'gpt-4.1-mini' where id = ${agent.configId}`;
    await eventually(() => fake.realtime.stats.changesLost > lost || undefined);
    const next = await eventually(() => seen[0]);
    expect(next.config?.llm_model).toBe('gpt-4.1-mini');
  });

  if (!mode.honorWait)
    it('refetches on the ready message when the server does not hold the join (changes in the gap)', async () => {
      const agent = await seedAgent(db);
      fake.realtime.knobs.readyDelayMs = 400;
      const sentChanges: string[] = [];
      fake.realtime.onChangeSent = (change) => sentChanges.push(change.table);
      try {
        const { source } = await startSource();
        const seen = await watched(source, agent);
        expect(fake.realtime.readyChannels()).toBe(0);
        await db.sql`update public.agent_configs set greeting = 'Early bird' where id = ${agent.configId}`;
        const next = await eventually(() => seen[0]);
        expect(next.config?.greeting).toBe('Early bird');
        expect(sentChanges).toEqual([]); // delivered by the refetch, not by Realtime
      } finally {
        fake.realtime.onChangeSent = undefined;
      }
    });

  it('never lets an older answer replace a newer one', async () => {
    const agent = await seedAgent(db);
    const { source } = await startSource();
    const seen = await watched(source, agent);

    // A reconcile reads version 2 and its answer is held back ...
    await db.sql`update public.agent_configs set greeting = 'Version two' where id = ${agent.configId}`;
    await eventually(() => seen[0]);
    fake.rest.holdFunctions.add('resolve_agent_configs');
    await seedAgent(db).then((other) => source.resolve(other.e164)); // two entries, so the reconcile batches
    const reconcile = source.reconcile();
    await eventually(() => fake.rest.heldCount === 1 || undefined);

    // ... while version 3 is committed and applied.
    await db.sql`update public.agent_configs set greeting = 'Version three' where id = ${agent.configId}`;
    await eventually(() => seen[1]);
    fake.rest.release();
    await reconcile;

    expect(seen.map((r) => r.config?.version)).toEqual([2, 3]);
    expect(source.stats.staleDiscarded).toBeGreaterThan(0);
    expect((await source.resolve(agent.e164)).resolved.config?.greeting).toBe('Version three');
  });

  it('answers with the last known config while Supabase is unreachable, then catches up', async () => {
    const agent = await seedAgent(db);
    const { source } = await startSource({}, { fetchTimeoutMs: 500 });
    const seen = await watched(source, agent);

    await fake.stop();
    await eventually(() => !source.stats.deliveryLive || undefined);
    const during = await source.resolve(agent.e164);
    expect(during).toMatchObject({ origin: 'last_known', resolved: { config: { version: 1 } } });
    await expect(source.resolve('+15550000001')).rejects.toMatchObject({ name: 'AppError', retryable: true });

    await db.sql`update public.agent_configs set silence_timeout_ms = 45000 where id = ${agent.configId}`;
    await fake.restart();
    const next = await eventually(() => seen[0]);
    expect(next.config?.silence_timeout_ms).toBe(45_000);
    // SUBSCRIBED and the ready message each start a refetch; once they land, resolves are warm again.
    await expect.poll(async () => (await source.resolve(agent.e164)).origin).toBe('cache');
  });

  it('starts while Supabase is unreachable and goes live when it comes back', async () => {
    const agent = await seedAgent(db);
    await fake.stop();
    const started = Date.now();
    const source = new CachedConfigSource(
      new SupabaseConfigBackend({
        supabaseUrl: fake.url,
        serviceRoleKey: fake.serviceRoleKey,
        reconnectDelaysMs: [50],
        startTimeoutMs: 300,
      }),
      { reconcileIntervalMs: 0, fetchTimeoutMs: 300 },
    );
    open.push(source);
    await source.start();
    expect(Date.now() - started).toBeLessThan(2_000);
    expect(source.stats.deliveryLive).toBe(false);
    await expect(source.resolve(agent.e164)).rejects.toMatchObject({ name: 'AppError' });

    await fake.restart();
    await eventually(() => source.stats.deliveryLive || undefined);
    expect((await source.resolve(agent.e164)).resolved.config?.id).toBe(agent.configId);
  });

  it('recreates a channel the server closed, and keeps delivering', async () => {
    const agent = await seedAgent(db);
    const { source, backend } = await startSource();
    const seen = await watched(source, agent);
    fake.realtime.closeChannels();
    await eventually(() => (backend.channelsCreated === 2 && source.stats.deliveryLive) || undefined);
    await db.sql`update public.agent_configs set greeting = 'After close' where id = ${agent.configId}`;
    expect((await eventually(() => seen[0])).config?.greeting).toBe('After close');
  });

  it('recreates a channel stuck in CHANNEL_ERROR once the watchdog fires', async () => {
    const agent = await seedAgent(db);
    const { source, backend } = await startSource({ watchdogMs: 200 });
    const seen = await watched(source, agent);
    fake.realtime.knobs.rejectJoinsWith = 'PostgresChangesSubscribeTimeout: the subscription was not ready in time';
    fake.realtime.errorChannels();
    await eventually(() => backend.channelsCreated >= 2 || undefined);
    expect(source.stats.deliveryLive).toBe(false);

    fake.realtime.knobs.rejectJoinsWith = null;
    await eventually(() => source.stats.deliveryLive || undefined);
    await db.sql`update public.agent_configs set greeting = 'Unstuck' where id = ${agent.configId}`;
    expect((await eventually(() => seen[0])).config?.greeting).toBe('Unstuck');
  });

  it('recovers when the postgres_changes subscription fails for a table missing from the publication, once it is back', async () => {
    const agent = await seedAgent(db);
    const logger = recordingLogger();
    await db.sql`alter publication supabase_realtime drop table public.agent_configs`;
    try {
      const { source, backend } = await startSource(
        { startTimeoutMs: 300, recreateDelaysMs: [50, 100, 200] },
        { logger },
        false,
      );
      const seen = await watched(source, agent);
      // Realtime says so (a rejected join, or an ok join and then a system error): delivery is
      // lost, said at error level with the server's words, and the channel is recreated.
      await eventually(() => backend.channelsCreated >= 3 || undefined);
      expect(source.stats.deliveryLive).toBe(false);
      expect(source.stats.deliveryProblem).toBe('realtime_subscription_failed');
      const error = logger.entries.find(
        (e) => e.level === 'error' && e.fields.problem === 'realtime_subscription_failed',
      );
      expect(error?.fields.detail).toMatch(/Unable to subscribe to changes.*table: agent_configs/);
      expect(await source.resolve(agent.e164)).toMatchObject({ origin: 'database' }); // never a stale cache hit

      await db.sql`update public.agent_configs set greeting = 'Published again' where id = ${agent.configId}`;
      await db.sql`alter publication supabase_realtime add table public.agent_configs`;
      await eventually(() => source.stats.deliveryLive || undefined);
      expect(source.stats.deliveryProblem).toBeNull();
      // The change made while delivery was down comes in with the refetch on resubscribe ...
      expect((await eventually(() => seen[0])).config?.greeting).toBe('Published again');
      // ... and the next one through Realtime.
      const sent = fake.realtime.stats.messagesSent;
      await db.sql`update public.agent_configs set greeting = 'Live again' where id = ${agent.configId}`;
      expect((await eventually(() => seen[1])).config?.greeting).toBe('Live again');
      expect(fake.realtime.stats.messagesSent).toBeGreaterThan(sent);
    } finally {
      await db.sql`alter publication supabase_realtime add table public.agent_configs`.catch(() => {});
    }
  });

  it('backs off between recreations while the subscription keeps failing', async () => {
    await db.sql`alter publication supabase_realtime drop table public.voices`;
    try {
      const { backend } = await startSource({ startTimeoutMs: 300, recreateDelaysMs: [50, 400] }, {}, false);
      await eventually(() => backend.channelsCreated >= 3 || undefined);
      const created = backend.channelsCreated;
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(backend.channelsCreated - created).toBeLessThanOrEqual(1);
    } finally {
      await db.sql`alter publication supabase_realtime add table public.voices`.catch(() => {});
    }
  });

  it('refetches a change that arrives stripped over the record size limit (413) by rpc, for that number only', async () => {
    const [agent, other] = [await seedAgent(db), await seedAgent(db)];
    const { source } = await startSource();
    const seen = await watched(source, agent);
    await source.resolve(other.e164);
    fake.realtime.knobs.maxRecordBytes = 4_000;
    const [one, many] = [rpcCalls('resolve_agent_config'), rpcCalls('resolve_agent_configs')];

    const prompt = 'Answer in full sentences. '.repeat(200);
    await db.sql`update public.agent_configs set system_prompt = ${prompt} where id = ${agent.configId}`;
    const next = await eventually(() => seen[0]);
    expect(next.config).toMatchObject({ system_prompt: prompt, version: 2 });
    expect([rpcCalls('resolve_agent_config') - one, rpcCalls('resolve_agent_configs') - many]).toEqual([1, 0]);
  });

  it('catches changes dropped over the events-per-second limit with the periodic reconcile', async () => {
    const agent = await seedAgent(db);
    const { source } = await startSource({}, { reconcileIntervalMs: 300 });
    const seen = await watched(source, agent);
    fake.realtime.knobs.maxEventsPerSecond = 1;
    await db.sql`update public.agent_configs set greeting = 'Within the limit' where id = ${agent.configId}`;
    expect((await eventually(() => seen[0])).config?.greeting).toBe('Within the limit');
    await db.sql`update public.agent_configs set greeting = 'Over the limit' where id = ${agent.configId}`;
    await eventually(() => fake.realtime.stats.changesOverLimit > 0 || undefined);
    expect((await eventually(() => seen[1])).config?.greeting).toBe('Over the limit');
  });

  it('says clearly that the project allows only private channels, answers from the database meanwhile, and recovers', async () => {
    const agent = await seedAgent(db);
    const logger = recordingLogger();
    fake.realtime.knobs.privateOnly = true;
    const { source } = await startSource({ startTimeoutMs: 300 }, { logger }, false);
    await eventually(() => source.stats.deliveryProblem === 'realtime_private_only' || undefined);
    const errors = logger.entries.filter((e) => e.level === 'error' && e.fields.problem === 'realtime_private_only');
    expect(errors[0]?.fields).toMatchObject({
      detail: expect.stringContaining('PrivateOnly'),
      fix: expect.stringContaining('private'),
    });
    for (let i = 0; i < 3; i += 1) expect((await source.resolve(agent.e164)).origin).toBe('database');
    expect(errors).toHaveLength(1); // once per episode, not once per retry
    // The operator sees it where the SIP doctor and sip-status look: an open config issue.
    const openIssue = () => db.sql`select code, severity from public.config_issues
      where subject_type = 'worker' and subject_id = 'realtime' and resolved_at is null`;
    expect(await until(async () => (await openIssue())[0])).toEqual({
      code: 'realtime_private_only',
      severity: 'error',
    });

    fake.realtime.knobs.privateOnly = false;
    await eventually(() => source.stats.deliveryLive || undefined);
    expect(source.stats.deliveryProblem).toBeNull();
    await until(async () => ((await openIssue()).length === 0 ? true : undefined));
    await source.idle();
    await source.resolve(agent.e164);
    expect((await source.resolve(agent.e164)).origin).toBe('cache');
  });

  it('reconnects when heartbeats go unanswered', async () => {
    const agent = await seedAgent(db);
    const { source } = await startSource({ heartbeatIntervalMs: 100 });
    const seen = await watched(source, agent);
    fake.realtime.knobs.replyHeartbeats = false;
    await eventually(() => !source.stats.deliveryLive || undefined);
    await db.sql`update public.agent_configs set greeting = 'Still here' where id = ${agent.configId}`;
    fake.realtime.knobs.replyHeartbeats = true;
    expect((await eventually(() => seen[0])).config?.greeting).toBe('Still here');
  });
});
