// The real worker (`node agent/main.ts start`, the production command) and the job processes
// its framework (`cli.runApp`) forks and prewarms: with the hub, the host holds the same few
// Postgres connections whatever the number of idle job processes; without it (WORKER_HUB=off),
// each idle process preloads and listens itself, so connections grow with the processes. A
// call dispatched through a local fake of LiveKit's agent endpoint runs in one of the prewarmed
// processes, which keeps its hub connection while the pool forks its replacement: still the
// same connections. No room server: the job stays in its room connect while it is counted.
// Without the fake the worker keeps retrying to register while its process pool runs.
import { randomBytes } from 'node:crypto';
import { createServer, type Server, type Socket } from 'node:net';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../../test/db/harness.ts';
import { type FakeAgentServer, startFakeAgentServer } from '../../test/fakes/livekit_agent_ws.ts';
import { seedAgent } from '../config/_test_fixtures.ts';
import { readHubStats } from './hub_client.ts';
import { startWorkerHost, type WorkerHost } from './testing/worker_host.ts';
import { freePort } from '../../scripts/db/embedded.ts';

/** Until N job processes are prewarmed: main's start, the inference process, then N prewarms in series. */
const POOL_READY_MS = 60_000;

let db: TestDatabase;
let livekit: FakeAgentServer;
/** The room URL of dispatched jobs: accepts TCP and never answers, so a job stays in its room connect. */
let roomServer: Server;
const roomSockets: Socket[] = [];
const workers: WorkerHost[] = [];

beforeAll(async () => {
  db = await createTestDatabase();
  await seedAgent(db);
  await seedAgent(db);
  livekit = await startFakeAgentServer();
  roomServer = createServer((socket) => {
    roomSockets.push(socket);
    socket.on('error', () => {});
  });
  await new Promise<void>((resolve) => roomServer.listen(0, '127.0.0.1', resolve));
});
const stopWorkers = async () => {
  await Promise.all(workers.splice(0).map((worker) => worker.stop()));
};
afterEach(stopWorkers);
afterAll(async () => {
  await stopWorkers();
  for (const socket of roomSockets) socket.destroy();
  roomServer?.close();
  await livekit?.close();
  await db?.close();
});

interface PoolSample {
  host: WorkerHost;
  socket: string;
  app: string;
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
async function runPool(idle: number, hub: boolean, livekitUrl = 'ws://127.0.0.1:1'): Promise<PoolSample> {
  const app = `sw_pool_${randomBytes(4).toString('hex')}`;
  const url = new URL(db.url);
  url.searchParams.set('application_name', app);
  const socket = path.join(process.env.TMPDIR ?? '/tmp', `sw-pool-${process.pid}-${app}.sock`);
  const host = startWorkerHost({
    env: {
      LIVEKIT_URL: livekitUrl, // by default nothing listens: registration keeps retrying, the pool runs
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
  const hubStats = async () => (hub ? await readHubStats(socket).catch(() => null) : null);

  const steps: number[] = [];
  const deadline = Date.now() + POOL_READY_MS;
  for (;;) {
    const jobs = host.jobProcesses();
    const prewarmed = jobs.filter((pid) => host.prewarmed.has(pid)).length;
    const clients = (await hubStats())?.clients ?? null;
    const ready = Math.min(prewarmed, clients ?? prewarmed);
    if (ready > steps.length) {
      const count = await connections(app);
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
  const settled = await connections(app);
  await sleep(500);
  const sample = {
    host,
    socket,
    app,
    steps,
    jobProcesses: host.jobProcesses().length,
    ...(await hubStats().then((stats) => ({ hubPid: stats?.pid ?? null, hubClients: stats?.clients ?? null }))),
    connections: await connections(app),
  };
  expect(sample.connections, 'a connection was still opening or closing').toBe(settled);
  expect(sample.hubPid).toBe(hub ? host.pid : null);
  return sample;
}

async function connections(app: string): Promise<number> {
  const [row] = await db.sql<{ n: number }[]>`
    select count(*)::int as n from pg_stat_activity where application_name = ${app}`;
  return row!.n;
}

/** Polls `read` until `done` holds for its value, at most timeoutMs; the error names what was awaited. */
async function until<T>(
  what: string,
  read: () => Promise<T> | T,
  done: (value: T) => boolean,
  timeoutMs: number,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (done(value)) return value;
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms (last: ${JSON.stringify(value)})`);
    await sleep(50);
  }
}

describe('job processes forked by the framework', () => {
  it('with the hub, hold no connection of their own: the host stays at ≤ 3 from 1 to 6 idle processes and with a call', async () => {
    const pool = await runPool(6, true, livekit.url);
    expect(pool).toMatchObject({ jobProcesses: 6, hubClients: 6 });
    // LISTEN, config resolutions, call records (the sweep): as the 1st and as the 6th process is ready.
    expect(pool.steps).toHaveLength(6);
    expect(pool.connections).toBeGreaterThan(0);
    expect(pool.connections).toBeLessThanOrEqual(3);
    expect(pool.steps).toEqual(Array(6).fill(pool.connections));

    // A call: LiveKit offers a job, the worker accepts, the assignment names the room.
    const { host } = pool;
    const warm = new Set(host.jobProcesses());
    await livekit.waitForWorker();
    const roomUrl = `ws://127.0.0.1:${(roomServer.address() as { port: number }).port}`;
    const jobId = await livekit.dispatch({ roomName: 'call-pool-test', roomUrl });
    const jobPid = await until('the job starting in a job process', () => host.jobsStarted.get(jobId), Boolean, 10_000);
    // It runs in one of the processes prewarmed before, which is connecting to the room.
    expect(warm.has(jobPid!)).toBe(true);
    await until(
      'the job connecting to its room',
      () => roomSockets.length,
      (n) => n > 0,
      10_000,
    );
    // The pool forks a replacement; once it is prewarmed: 1 active + 6 idle, all on the hub.
    const clients = await until(
      'the replacement joining the hub',
      async () => (await readHubStats(pool.socket)).clients,
      (n) => n === 7,
      POOL_READY_MS,
    );
    expect(clients).toBe(7);
    expect(host.jobProcesses()).toHaveLength(7);
    expect(host.jobProcesses()).toContain(jobPid);
    expect(await connections(pool.app)).toBe(pool.connections);
  }, 120_000);

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
  }, 120_000);
});

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
