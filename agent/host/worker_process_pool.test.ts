// The real worker (`node agent/main.ts start`, the production command) and the job processes
// its framework (`cli.runApp`) forks and prewarms: with the hub, the host holds the same few
// Postgres connections whatever the number of idle job processes; without it (WORKER_HUB=off),
// each idle process preloads and listens itself, so connections grow with the processes. No
// LiveKit server: the worker keeps retrying to register while its process pool runs.
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:net';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../../test/db/harness.ts';
import { seedAgent } from '../config/_test_fixtures.ts';
import { readHubStats } from './hub_client.ts';
import { startWorkerHost, type WorkerHost } from './testing/worker_host.ts';

/** Until N job processes are prewarmed: main's start, the inference process, then N prewarms in series. */
const POOL_READY_MS = 50_000;

let db: TestDatabase;
const workers: WorkerHost[] = [];

beforeAll(async () => {
  db = await createTestDatabase();
  await seedAgent(db);
  await seedAgent(db);
});
const stopWorkers = async () => {
  await Promise.all(workers.splice(0).map((worker) => worker.stop()));
};
afterEach(stopWorkers);
afterAll(async () => {
  await stopWorkers();
  await db?.close();
});

interface PoolSample {
  /** Host connections seen as the k-th job process finished prewarm (index k - 1). */
  steps: number[];
  jobProcesses: number;
  /** The hub's process (stats): main's pid, or null without a hub. */
  hubPid: number | null;
  hubClients: number | null;
  /** Host connections once all `idle` processes are prewarmed, and still so 500 ms later. */
  connections: number;
}

/**
 * Starts the worker with `idle` idle job processes and waits until that many job processes forked
 * by the framework have finished prewarm (the framework warms them one at a time) and, with the
 * hub, are connected to it. Counts the host's Postgres connections, by the application_name it
 * was given, as each one finishes and at the end.
 */
async function runPool(idle: number, hub: boolean): Promise<PoolSample> {
  const app = `sw_pool_${randomBytes(4).toString('hex')}`;
  const url = new URL(db.url);
  url.searchParams.set('application_name', app);
  const socket = path.join(process.env.TMPDIR ?? '/tmp', `sw-pool-${process.pid}-${app}.sock`);
  const host = startWorkerHost({
    env: {
      LIVEKIT_URL: 'ws://127.0.0.1:1', // nothing listens: registration keeps retrying, the pool runs
      LIVEKIT_API_KEY: 'devkey',
      LIVEKIT_API_SECRET: 'secret',
      OPENAI_API_KEY: 'sk-x',
      DEEPGRAM_API_KEY: 'dg-x',
      ELEVEN_API_KEY: 'el-x',
      DATABASE_URL: url.toString(),
      PORT: String(await freePort()), // the health server; 0 would mean the framework's 8081
      WORKER_IDLE_PROCESSES: String(idle),
      WORKER_HUB: hub ? 'on' : 'off',
      WORKER_HUB_SOCKET: socket,
    },
  });
  workers.push(host);
  const connections = async () =>
    (await db.sql<{ n: number }[]>`select count(*)::int as n from pg_stat_activity where application_name = ${app}`)[0]!
      .n;
  const hubStats = async () => (hub ? await readHubStats(socket).catch(() => null) : null);

  const steps: number[] = [];
  const deadline = Date.now() + POOL_READY_MS;
  for (;;) {
    const jobs = host.jobProcesses();
    const prewarmed = jobs.filter((pid) => host.prewarmed.has(pid)).length;
    const clients = (await hubStats())?.clients ?? null;
    const ready = Math.min(prewarmed, clients ?? prewarmed);
    if (ready > steps.length) {
      const count = await connections();
      while (steps.length < ready) steps.push(count);
    }
    if (jobs.length === idle && ready === idle) break;
    if (host.exit !== null || Date.now() > deadline) {
      throw new Error(
        `worker (WORKER_HUB=${hub ? 'on' : 'off'}, ${idle} idle): ${
          host.exit ? `exited ${JSON.stringify(host.exit)}` : `not ready within ${POOL_READY_MS} ms`
        }; job processes ${jobs.length}, prewarmed ${prewarmed}, hub clients ${String(clients)}\n${host.otherOutput.slice(-20).join('\n')}`,
      );
    }
    await sleep(50);
  }
  const settled = await connections();
  await sleep(500);
  const sample = {
    steps,
    jobProcesses: host.jobProcesses().length,
    ...(await hubStats().then((stats) => ({ hubPid: stats?.pid ?? null, hubClients: stats?.clients ?? null }))),
    connections: await connections(),
  };
  expect(sample.connections, 'a connection was still opening or closing').toBe(settled);
  expect(sample.hubPid).toBe(hub ? host.pid : null);
  return sample;
}

describe('job processes forked by the framework', () => {
  it('with the hub, hold no connection of their own: the host stays at ≤ 3 from 1 to 6 idle processes', async () => {
    const pool = await runPool(6, true);
    expect(pool).toMatchObject({ jobProcesses: 6, hubClients: 6 });
    // LISTEN, config resolutions, call records (the sweep): as the 1st and as the 6th process is ready.
    expect(pool.steps).toHaveLength(6);
    expect(pool.connections).toBeGreaterThan(0);
    expect(pool.connections).toBeLessThanOrEqual(3);
    expect(pool.steps).toEqual(Array(6).fill(pool.connections));
  }, 90_000);

  it('without the hub (WORKER_HUB=off), connect each: connections grow with the idle processes', async () => {
    const pool = await runPool(3, false);
    expect(pool.jobProcesses).toBe(3);
    // Each idle process adds its own LISTEN and resolution connections (measured: 3, 5, 7 as the
    // 1st, 2nd and 3rd finished prewarm). A sample taken while the next process was already
    // connecting can only be higher, so the check allows for one: at least one more connection
    // per further process, and more than the hub's host holds with 6.
    expect(pool.steps).toHaveLength(3);
    expect(pool.connections).toBeGreaterThanOrEqual(pool.steps[0]! + 2);
    expect(pool.connections).toBeGreaterThan(3);
  }, 90_000);
});

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = createServer();
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}
