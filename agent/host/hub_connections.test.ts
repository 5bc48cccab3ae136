// One owner of database access per host: whatever the number of job processes connected to the
// hub, resolving numbers and writing call rows through it, the host holds the same (at most 3)
// Postgres connections. The clients are real child processes, as job processes are.
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../../test/db/harness.ts';
import { seedAgent } from '../config/_test_fixtures.ts';
import { type RunningHub, startHub } from './start_hub.ts';
import { type JobLikeReport, jobLikeClients } from './testing/job_like_clients.ts';

const APP = 'switchboard_host_test';

let db: TestDatabase;
let hub: RunningHub;
const clients = jobLikeClients();

beforeAll(async () => {
  db = await createTestDatabase();
});
afterAll(async () => {
  await clients.stop();
  await hub?.close();
  await db.close();
});

describe('the worker hub', () => {
  it('keeps the host at the same 3 Postgres connections as job processes are added', async () => {
    const agent = await seedAgent(db);
    const url = new URL(db.url);
    url.searchParams.set('application_name', APP);
    hub = await startHub({
      backend: { kind: 'postgres', databaseUrl: url.toString() },
      socketPath: socketPathFor('connections'),
      dbTimeoutMs: 5_000,
    });
    const connections = async () =>
      (
        await db.sql<{ n: number }[]>`select count(*)::int as n from pg_stat_activity where application_name = ${APP}`
      )[0]!.n;

    const counts: number[] = [];
    const reports: JobLikeReport[] = [];
    for (const batch of [1, 3, 6]) {
      reports.push(
        ...(await Promise.all(
          Array.from({ length: batch }, () => clients.start(hub.socketPath, url.toString(), agent.e164)),
        )),
      );
      counts.push(await connections());
    }

    expect(reports).toHaveLength(10);
    for (const report of reports) {
      expect(report).toMatchObject({ hubPid: process.pid, heldWhileIdle: 0, direct: 0 });
      expect(report.pid).not.toBe(process.pid);
    }
    expect(new Set(reports.map((r) => r.pid)).size).toBe(10);
    // Every client's row is in the database, written by the hub.
    const rows = await db.sql`select id from public.calls where id = any(${reports.map((r) => r.callId)}::uuid[])`;
    expect(rows).toHaveLength(10);
    // LISTEN, one resolution connection, one call-store connection: the same after 1, 4 and 10 clients.
    expect(counts).toEqual([3, 3, 3]);
  }, 60_000);
});

function socketPathFor(name: string): string {
  return path.join(process.env.TMPDIR ?? '/tmp', `sw-hub-${name}-${process.pid}.sock`);
}
