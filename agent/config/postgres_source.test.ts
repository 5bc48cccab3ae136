// The Postgres config source against the real database: changes made in SQL reach watchers
// through LISTEN/NOTIFY, a warm resolve makes no round trip, and a dropped database connection
// leaves the last known config answering until it is back, then nothing is lost.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { ResolvedAgentConfig } from '../../shared/agent_config.ts';
import { createTestDatabase, type TestDatabase } from '../../test/db/harness.ts';
import { startTcpProxy, type TcpProxy } from '../../test/fakes/tcp_proxy.ts';
import { ADAM, eventually, recordingLogger, seedAgent } from './_test_fixtures.ts';
import { CachedConfigSource, type CachedConfigSourceOptions } from './cached_config_source.ts';
import { PostgresConfigBackend, type PostgresBackendOptions } from './postgres_backend.ts';

let db: TestDatabase;
const open: CachedConfigSource[] = [];

beforeAll(async () => {
  db = await createTestDatabase();
});
afterEach(async () => {
  await Promise.all(open.splice(0).map((source) => source.close()));
});
afterAll(() => db.close());

async function startSource(
  backend: Partial<PostgresBackendOptions> = {},
  options: CachedConfigSourceOptions = {},
): Promise<CachedConfigSource> {
  const source = new CachedConfigSource(new PostgresConfigBackend({ databaseUrl: db.url, ...backend }), {
    reconcileIntervalMs: 0,
    ...options,
  });
  open.push(source);
  await source.start();
  return source;
}

describe('Postgres config source', () => {
  it('delivers a prompt change made in SQL to a watcher, and logs it with its version', async () => {
    const agent = await seedAgent(db);
    const logger = recordingLogger();
    const source = await startSource({}, { logger });
    const first = await source.resolve(agent.e164);
    expect(first.origin).toBe('database');
    expect(first.resolved.config?.version).toBe(1);

    const seen: ResolvedAgentConfig[] = [];
    source.watch(agent.e164, (next) => seen.push(next));
    await db.sql`update public.agent_configs set system_prompt = 'You are a pirate.' where id = ${agent.configId}`;

    const next = await eventually(() => seen[0]);
    expect(next.config?.system_prompt).toBe('You are a pirate.');
    expect(next.config?.version).toBe(2);
    expect((await source.resolve(agent.e164)).origin).toBe('cache');

    const applied = logger.entries.find((e) => e.message === 'config change applied');
    expect(applied?.fields).toMatchObject({
      config_id: agent.configId,
      version: 2,
      previous_version: 1,
      'pii.dialed_number': agent.e164,
    });
    // The number appears only under pii. keys.
    for (const entry of logger.entries) {
      for (const [key, value] of Object.entries(entry.fields)) {
        if (!key.startsWith('pii.')) expect(JSON.stringify(value) ?? '').not.toContain(agent.e164.slice(2));
      }
    }
  });

  it('delivers a voice change and a number moved to another config', async () => {
    const agent = await seedAgent(db);
    const source = await startSource();
    await source.resolve(agent.e164);
    const seen: ResolvedAgentConfig[] = [];
    source.watch(agent.e164, (next) => seen.push(next));

    await db.sql`update public.agent_configs set voice_id = ${ADAM} where id = ${agent.configId}`;
    const voiced = await eventually(() => seen[0]);
    expect(voiced.voice?.voice_id).toBe(ADAM);

    const [other] = await db.sql<{ id: string }[]>`
      insert into public.agent_configs (owner_id, name, system_prompt) values (${agent.ownerId}, 'Night line', 'After hours.') returning id`;
    await db.sql`update public.phone_numbers set agent_config_id = ${other!.id} where id = ${agent.phoneNumberId}`;
    const moved = await eventually(() => seen[1]);
    expect(moved.config?.id).toBe(other!.id);
    expect(moved.config?.system_prompt).toBe('After hours.');
  });

  it('answers a warm resolve from the cache with zero database round trips', async () => {
    const agent = await seedAgent(db);
    const queries: string[] = [];
    const source = await startSource({ postgresOptions: { debug: (_connection, query) => queries.push(query) } });
    await source.resolve(agent.e164);
    const before = queries.filter((q) => q.includes('resolve_agent_config')).length;
    expect(before).toBe(1);

    for (let i = 0; i < 20; i += 1) expect((await source.resolve(agent.e164)).origin).toBe('cache');
    // Other spellings of the same number hit the same entry.
    expect((await source.resolve(agent.e164.replace('+1', ''))).origin).toBe('cache');
    expect(queries.filter((q) => q.includes('resolve_agent_config')).length).toBe(before);
  });

  it('preloads the configured numbers: a call resolves from the cache with zero round trips, and SQL changes still arrive', async () => {
    const agents = [await seedAgent(db), await seedAgent(db), await seedAgent(db)];
    const queries: string[] = [];
    const source = await startSource({ postgresOptions: { debug: (_connection, query) => queries.push(query) } });
    await source.idle();
    const result = await source.preload();
    expect(result.failed).toBe(false);
    expect(result.loaded).toBeGreaterThanOrEqual(agents.length);
    expect(queries.filter((q) => q.includes('list_configured_numbers'))).toHaveLength(1);

    const resolves = () => queries.filter((q) => q.includes('resolve_agent_config')).length;
    const before = resolves();
    for (const agent of agents) {
      const call = await source.resolve(agent.e164);
      expect(call.origin).toBe('cache');
      expect(call.resolved.config?.id).toBe(agent.configId);
    }
    expect(resolves()).toBe(before);

    // Kept live while the process idles: a change made in SQL after the preload is delivered.
    const target = agents[1]!;
    const seen: ResolvedAgentConfig[] = [];
    source.watch(target.e164, (next) => seen.push(next));
    await db.sql`update public.agent_configs set greeting = 'Preloaded and current' where id = ${target.configId}`;
    expect((await eventually(() => seen[0])).config).toMatchObject({ greeting: 'Preloaded and current', version: 2 });
    const after = await source.resolve(target.e164);
    expect(after).toMatchObject({ origin: 'cache', resolved: { config: { greeting: 'Preloaded and current' } } });
  });

  it('preloads at most maxEntries numbers, the most recently updated first', async () => {
    const [older, middle, newest] = [await seedAgent(db), await seedAgent(db), await seedAgent(db)];
    await db.sql`update public.agent_configs set greeting = 'Touched last' where id = ${older!.configId}`;
    const source = await startSource({}, { maxEntries: 2 });
    await source.idle();
    expect(await source.preload()).toMatchObject({ listed: 2, loaded: 2, failed: false });
    expect((await source.resolve(older!.e164)).origin).toBe('cache');
    expect((await source.resolve(newest!.e164)).origin).toBe('cache');
    expect((await source.resolve(middle!.e164)).origin).toBe('database');
  });

  it('refetches everything cached when one statement changes too many rows to list', async () => {
    const agent = await seedAgent(db);
    const source = await startSource();
    await source.resolve(agent.e164);
    const seen: ResolvedAgentConfig[] = [];
    source.watch(agent.e164, (next) => seen.push(next));
    // ~150 configs in one UPDATE: the NOTIFY payload would pass 8000 bytes, so it says {"all": true}.
    await db.sql`insert into public.agent_configs (owner_id, name) select ${agent.ownerId}, 'Bulk ' || n from generate_series(1, 150) n`;
    const payloads: string[] = [];
    const listening = await db.sql.listen('switchboard_config_changed', (payload) => payloads.push(payload));
    await db.sql`update public.agent_configs set greeting = 'Bulk hello' where owner_id = ${agent.ownerId}`;
    const next = await eventually(() => seen[0]);
    expect(next.config?.greeting).toBe('Bulk hello');
    // The test's own LISTEN connection hears the NOTIFY on its own schedule, maybe after the source did.
    const bulk = '{"op": "update", "all": true, "table": "agent_configs"}';
    await eventually(() => payloads.includes(bulk) || undefined);
    await listening.unlisten();
  });

  describe('with the database behind a proxy that can be cut', () => {
    let proxy: TcpProxy;
    beforeAll(async () => {
      const target = new URL(db.url);
      proxy = await startTcpProxy({ host: target.hostname, port: Number(target.port) });
    });
    afterAll(() => proxy.close());

    it('answers with the last known config while the database is unreachable, then catches up', async () => {
      const agent = await seedAgent(db);
      const source = await startSource(
        { databaseUrl: proxy.rewrite(db.url), reconnectDelaysMs: [50], connectTimeoutMs: 500 },
        { fetchTimeoutMs: 500 },
      );
      await source.resolve(agent.e164);
      const seen: ResolvedAgentConfig[] = [];
      source.watch(agent.e164, (next) => seen.push(next));

      proxy.cut();
      await eventually(() => !source.stats.deliveryLive || undefined);
      const during = await source.resolve(agent.e164);
      expect(during.origin).toBe('last_known');
      expect(during.resolved.config?.version).toBe(1);
      await expect(source.resolve('+15550000000')).rejects.toMatchObject({
        code: expect.stringMatching(/unavailable|timeout/),
      });

      // Changed while the worker could not hear about it: the NOTIFY is lost for good.
      await db.sql`update public.agent_configs set greeting = 'We moved!' where id = ${agent.configId}`;
      proxy.restore();

      const caughtUp = await eventually(() => seen[0]);
      expect(caughtUp.config?.greeting).toBe('We moved!');
      expect(caughtUp.config?.version).toBe(2);
      expect((await source.resolve(agent.e164)).origin).toBe('cache');
    });

    it('preloads nothing, without failing, while the database is unreachable', async () => {
      const agent = await seedAgent(db);
      const source = await startSource(
        { databaseUrl: proxy.rewrite(db.url), reconnectDelaysMs: [50], connectTimeoutMs: 500 },
        { fetchTimeoutMs: 250 },
      );
      proxy.cut();
      try {
        expect(await source.preload()).toMatchObject({ listed: 0, loaded: 0, failed: true });
      } finally {
        proxy.restore();
      }
      expect((await source.resolve(agent.e164)).origin).toBe('database');
    });
  });
});
