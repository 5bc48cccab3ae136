// prewarm, the hook the framework runs in each one-shot job process before its call arrives: it
// leaves the process with a started config source whose cache already holds every configured
// number, so the call's resolve is a cache hit (no database round trip at call setup).
import { initializeLogger, JobProcess } from '@livekit/agents';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../test/db/harness.ts';
import { seedAgent } from './config/_test_fixtures.ts';
import type { CachedConfigSource } from './config/cached_config_source.ts';
import { loadWorkerEnv } from './env.ts';
import { prewarm, type WorkerProcessData } from './job.ts';

let db: TestDatabase;

beforeAll(async () => {
  initializeLogger({ pretty: false, level: 'error' });
  db = await createTestDatabase();
});
afterAll(() => db.close());

describe('prewarm', () => {
  it('preloads the config cache so the call resolves from it, and keeps it live while idle', async () => {
    const agents = [await seedAgent(db), await seedAgent(db)];
    const env = loadWorkerEnv({
      LIVEKIT_URL: 'ws://127.0.0.1:7880',
      LIVEKIT_API_KEY: 'devkey',
      LIVEKIT_API_SECRET: 'secret',
      OPENAI_API_KEY: 'sk-test',
      DEEPGRAM_API_KEY: 'dg-test',
      ELEVEN_API_KEY: 'el-test',
      DATABASE_URL: db.url,
    });
    const proc = new JobProcess<Record<string, unknown>>();
    await prewarm(proc, env);
    const data = proc.userData as WorkerProcessData;
    const source = data.configSource as CachedConfigSource;
    try {
      const fetches = source.stats.fetches;
      for (const agent of agents) expect((await source.resolve(agent.e164)).origin).toBe('cache');
      expect(source.stats.fetches).toBe(fetches);

      // Idle process, config edited in SQL: the cache follows, the call still resolves from it.
      await db.sql`update public.agent_configs set greeting = 'Edited while idle' where id = ${agents[0]!.configId}`;
      await expect
        .poll(async () => (await source.resolve(agents[0]!.e164)).resolved.config?.greeting)
        .toBe('Edited while idle');
      expect(await source.resolve(agents[0]!.e164)).toMatchObject({
        origin: 'cache',
        resolved: { config: { version: 2 } },
      });
    } finally {
      await source.close();
      await data.callStore.close?.();
    }
  });
});
