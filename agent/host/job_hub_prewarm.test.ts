// prewarm in a job process whose main runs the hub: no per-process source, no preload, no
// database connection; the call's resolve is a host-cache hit. WORKER_HUB=off keeps today's
// per-process source.
import { initializeLogger, JobProcess } from '@livekit/agents';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../../test/db/harness.ts';
import { seedAgent } from '../config/_test_fixtures.ts';
import { CachedConfigSource } from '../config/cached_config_source.ts';
import { loadWorkerEnv } from '../env.ts';
import { prewarm, type WorkerProcessData } from '../job.ts';
import { HubConfigSource } from './hub_config_source.ts';
import { startHub } from './start_hub.ts';

let db: TestDatabase;
beforeAll(async () => {
  initializeLogger({ pretty: false, level: 'error' });
  db = await createTestDatabase();
});
afterAll(() => db.close());

const BASE = {
  LIVEKIT_URL: 'ws://127.0.0.1:7880',
  LIVEKIT_API_KEY: 'devkey',
  LIVEKIT_API_SECRET: 'secret',
  OPENAI_API_KEY: 'sk-test',
  DEEPGRAM_API_KEY: 'dg-test',
  ELEVEN_API_KEY: 'el-test',
};

describe('prewarm with the hub', () => {
  it('opens no database connection and resolves the call from the host cache', async () => {
    const agent = await seedAgent(db);
    const hub = await startHub({
      backend: { kind: 'postgres', databaseUrl: db.url },
      socketPath: path.join(process.env.TMPDIR ?? '/tmp', `sw-prewarm-${process.pid}.sock`),
      dbTimeoutMs: 1_000,
    });
    await expect.poll(() => hub.configSource.stats.deliveryLive).toBe(true);
    const jobUrl = new URL(db.url);
    jobUrl.searchParams.set('application_name', 'switchboard_job_test');
    const proc = new JobProcess<Record<string, unknown>>();
    await prewarm(proc, loadWorkerEnv({ ...BASE, DATABASE_URL: jobUrl.toString(), WORKER_HUB_SOCKET: hub.socketPath }));
    const data = proc.userData as WorkerProcessData;
    try {
      expect(data.configSource).toBeInstanceOf(HubConfigSource);
      expect((data.configSource as HubConfigSource).heldNumbers).toBe(0);
      await hub.configSource.resolve(agent.e164);
      expect(await data.configSource.resolve(agent.e164)).toMatchObject({
        origin: 'cache',
        resolved: { config: { id: agent.configId } },
      });
      const jobConnections =
        await db.sql`select 1 from pg_stat_activity where application_name = 'switchboard_job_test'`;
      expect(jobConnections).toHaveLength(0);
    } finally {
      await data.configSource.close();
      await data.callStore.close?.();
      await hub.close();
    }
  });

  it('keeps the per-process source with WORKER_HUB=off', async () => {
    const proc = new JobProcess<Record<string, unknown>>();
    await prewarm(
      proc,
      loadWorkerEnv({ ...BASE, DATABASE_URL: db.url, WORKER_HUB: 'off', WORKER_HUB_SOCKET: '/nonexistent/hub.sock' }),
    );
    const data = proc.userData as WorkerProcessData;
    expect(data.configSource).toBeInstanceOf(CachedConfigSource);
    await data.configSource.close();
    await data.callStore.close?.();
  });
});
