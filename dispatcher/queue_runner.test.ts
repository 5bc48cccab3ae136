// The job queue's runner under the faults that can wedge it, on a real database: a first task
// lookup that fails (graphile-worker caches that failure), and a database away for longer than
// the stall limit, refusing or stalling (not a stall of the runner: it is kept).
import { runMigrations } from 'graphile-worker';
import pg from 'pg';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../test/db/harness.ts';
import { startTcpProxy } from '../test/fakes/tcp_proxy.ts';
import { createLog, queueLogger } from './log.ts';
import { type QueueRunner, startQueueRunner } from './queue_runner.ts';

const TASK = 'test.record';
const STALL_MS = 1_000;
let db: TestDatabase;
const cleanup: (() => Promise<unknown> | unknown)[] = [];

beforeEach(async () => {
  db = await createTestDatabase();
  await db.sql`create table public.test_runs (label text not null)`;
});
afterEach(async () => {
  for (const step of cleanup.splice(0).reverse()) await step();
  await db.close();
});

async function runner(databaseUrl = db.url): Promise<QueueRunner> {
  const pool = new pg.Pool({ connectionString: databaseUrl, max: 6, connectionTimeoutMillis: 2_000 });
  pool.on('error', () => {});
  pool.on('connect', (client) => client.on('error', () => {}));
  const started = await startQueueRunner({
    pool,
    concurrency: 2,
    pollIntervalMs: 100,
    stallMs: STALL_MS,
    log: createLog('silent'),
    taskList: {
      [TASK]: async (payload, helpers) => {
        await helpers.query('insert into public.test_runs (label) values ($1)', [(payload as { label: string }).label]);
      },
    },
  });
  cleanup.push(
    () => pool.end(),
    () => started.stop(),
  );
  return started;
}

async function addJob(label: string): Promise<void> {
  await db.sql`select graphile_worker.add_job(${TASK}::text, ${db.sql.json({ label })}::json)`;
}

async function runsOf(label: string, timeoutMs: number): Promise<number> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const [row] = await db.sql<{ n: number }[]>`select count(*)::int as n from public.test_runs where label = ${label}`;
    if (row!.n > 0 || Date.now() > until) return row!.n;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

describe('job queue runner', () => {
  it('an idle, healthy runner is kept, and runs the jobs it is given', async () => {
    const queue = await runner();
    await new Promise((resolve) => setTimeout(resolve, 3 * STALL_MS));
    await addJob('idle');
    expect(await runsOf('idle', 5_000)).toBe(1);
    expect(queue.restarts).toBe(0);
  });

  it('a first task lookup that fails: the runner that caches the failure is replaced, and the job runs', async () => {
    // Fails the first statement that registers task names (the runner's lookup at start) and
    // passes every later one: the error the runner would get from a connection lost right then.
    await runMigrations({ connectionString: db.url, logger: queueLogger(createLog('silent')) });
    await db.sql.unsafe(`
      create sequence public.test_task_lookups;
      create function public.test_fail_first_task_lookup() returns trigger language plpgsql as $$
      begin
        if nextval('public.test_task_lookups') = 1 then
          raise exception 'connection lost during the task lookup (injected)';
        end if;
        return null;
      end $$;
      create trigger test_fail_first_task_lookup before insert on graphile_worker._private_tasks
        for each statement execute function public.test_fail_first_task_lookup();`);
    const queue = await runner();
    await expect
      .poll(async () => (await db.sql`select is_called from public.test_task_lookups`)[0]!.is_called)
      .toBe(true);
    await addJob('after-failed-lookup');
    expect(await runsOf('after-failed-lookup', 8 * STALL_MS)).toBe(1);
    expect(queue.restarts).toBeGreaterThanOrEqual(1);
  });

  it.each([
    ['resets every connection', { kind: 'reset' }],
    ['accepts and then stalls', { kind: 'stall' }],
  ] as const)(
    'a database that %s for longer than the stall limit: the runner is kept and runs the job once it is back',
    async (_what, mode) => {
      const url = new URL(db.url);
      const proxy = await startTcpProxy({ host: url.hostname, port: Number(url.port) });
      cleanup.push(() => proxy.close());
      const queue = await runner(proxy.rewrite(db.url));
      await new Promise((resolve) => setTimeout(resolve, 500));
      await proxy.setMode(mode);
      await addJob('after-outage');
      await new Promise((resolve) => setTimeout(resolve, 3 * STALL_MS));
      expect(await runsOf('after-outage', 0)).toBe(0);
      proxy.restore();
      expect(await runsOf('after-outage', 8 * STALL_MS)).toBe(1);
      expect(queue.restarts).toBe(0);
    },
  );
});
