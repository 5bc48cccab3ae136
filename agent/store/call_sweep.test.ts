// The sweep of calls whose worker died, on the real database through the Postgres store: rows
// whose heartbeat lapsed are closed as worker_lost, live ones are left alone, and after the
// database was unreachable nothing is closed until it has been reachable for a full lapse.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { unknownCallStart } from '../testing/call_starts.ts';
import { createTestDatabase, type TestDatabase } from '../../test/db/harness.ts';
import { startTcpProxy, type TcpProxy } from '../../test/fakes/tcp_proxy.ts';
import { recordingLogger } from '../config/_test_fixtures.ts';
import { CallSweep } from './call_sweep.ts';
import { PostgresCallStore } from './postgres_call_store.ts';

const LAPSE_MS = 400;

let db: TestDatabase;
let proxy: TcpProxy;
let store: PostgresCallStore;
beforeAll(async () => {
  db = await createTestDatabase();
  const target = new URL(db.url);
  proxy = await startTcpProxy({ host: target.hostname, port: Number(target.port) });
  store = new PostgresCallStore({ databaseUrl: proxy.rewrite(db.url), timeoutMs: 500, connectTimeoutMs: 300 });
});
afterAll(async () => {
  await store.close();
  await proxy.close();
  await db.close();
});

const endReason = async (id: string) =>
  (await db.sql`select end_reason from public.calls where id = ${id}`)[0]!.end_reason as string | null;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('the call sweep', () => {
  it('closes rows whose heartbeat lapsed as worker_lost and leaves beating ones open', async () => {
    const sweep = new CallSweep(store, { lapseMs: LAPSE_MS, logger: recordingLogger() });
    const [silent, beating] = [crypto.randomUUID(), crypto.randomUUID()];
    await store.recordCall(silent, unknownCallStart());
    await store.recordCall(beating, unknownCallStart());
    expect(await sweep.sweepOnce()).toBe(0); // first contact: only counts
    for (let i = 0; i < 6; i += 1) {
      await sleep(LAPSE_MS / 4);
      await store.heartbeat(beating);
    }
    expect(await sweep.sweepOnce()).toBeGreaterThanOrEqual(1);
    expect(await endReason(silent)).toBe('worker_lost');
    expect(await endReason(beating)).toBeNull();
  });

  it('closes nothing right after the database comes back, until it has been reachable for a full lapse', async () => {
    const sweep = new CallSweep(store, { lapseMs: LAPSE_MS, logger: recordingLogger() });
    expect(await sweep.sweepOnce()).toBe(0);
    await sleep(LAPSE_MS + 50);
    const live = crypto.randomUUID();
    await store.recordCall(live, unknownCallStart());
    await proxy.setMode({ kind: 'refuse' });
    expect(await sweep.sweepOnce()).toBeNull();
    await sleep(LAPSE_MS + 50); // the outage: the live call could not beat
    await proxy.setMode({ kind: 'pass' });
    expect(await sweep.sweepOnce()).toBe(0);
    expect(await endReason(live)).toBeNull();
    await store.heartbeat(live); // the live call beats again once the database is back
    await sleep(LAPSE_MS / 2);
    await store.heartbeat(live);
    await sleep(LAPSE_MS / 2 + 50);
    await sweep.sweepOnce();
    expect(await endReason(live)).toBeNull();
  });
});
