// One owner of Supabase access per host: on the Supabase backend the hub's config source holds
// the host's one Realtime WebSocket, and resolves and call records go over HTTP (PostgREST), so
// the Realtime server sees 1 socket whatever the number of job processes connected to the hub.
// Without the hub each process holds its own socket. The clients are real child processes, as
// job processes are.
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../../test/db/harness.ts';
import { type SupabaseFake, startSupabaseFake } from '../../test/fakes/supabase_api.ts';
import { eventually, seedAgent } from '../config/_test_fixtures.ts';
import { type RunningHub, startHub } from './start_hub.ts';
import { type JobLikeClients, type JobLikeReport, jobLikeClients } from './testing/job_like_clients.ts';

let db: TestDatabase;
let fake: SupabaseFake;
let hub: RunningHub | undefined;
let clients: JobLikeClients;

beforeAll(async () => {
  db = await createTestDatabase();
  fake = await startSupabaseFake({ databaseUrl: db.url });
  clients = jobLikeClients({ SUPABASE_SERVICE_ROLE_KEY: fake.serviceRoleKey });
});
afterAll(async () => {
  await clients?.stop();
  await hub?.close();
  await fake?.close();
  await db?.close();
});

describe('the worker hub on Supabase', () => {
  it('keeps the host at 1 Realtime socket as job processes are added; without it, one per process', async () => {
    const agent = await seedAgent(db);
    const realtime = fake.realtime.stats;
    hub = await startHub({
      backend: { kind: 'supabase', supabaseUrl: fake.url, serviceRoleKey: fake.serviceRoleKey },
      socketPath: path.join(process.env.TMPDIR ?? '/tmp', `sw-hub-realtime-${process.pid}.sock`),
      dbTimeoutMs: 5_000,
    });
    await eventually(() => hub!.configSource.stats.deliveryLive || undefined);
    const recordCalls = () => fake.rest.calls.get('record_call') ?? 0;
    const recordedBefore = recordCalls();

    const sockets: number[] = [realtime.openSockets];
    const reports: JobLikeReport[] = [];
    for (const batch of [1, 3, 6]) {
      reports.push(
        ...(await Promise.all(
          Array.from({ length: batch }, () => clients.start(hub!.socketPath, fake.url, agent.e164)),
        )),
      );
      sockets.push(realtime.openSockets);
    }

    expect(reports).toHaveLength(10);
    for (const report of reports) {
      expect(report).toMatchObject({ hubPid: process.pid, heldWhileIdle: 0, direct: 0, origin: 'cache' });
    }
    expect(new Set(reports.map((r) => r.pid)).size).toBe(10);
    // Before any client, and after 1, 4 and 10: the hub's one socket, never another, never reopened.
    expect(sockets).toEqual([1, 1, 1, 1]);
    expect(realtime.peakOpenSockets).toBe(1);
    expect(realtime.connections).toBe(1);
    // Every client's row is in the database, written by the hub over HTTP (PostgREST's record_call).
    const rows = await db.sql`select id from public.calls where id = any(${reports.map((r) => r.callId)}::uuid[])`;
    expect(rows).toHaveLength(10);
    expect(recordCalls() - recordedBefore).toBe(10);
    expect(hub.server.stats).toMatchObject({ clients: 10, resolves: 10, writes: 10 });

    // The contrast: 3 processes without the hub, each with its own config source, add a socket each.
    const own = await Promise.all(Array.from({ length: 3 }, () => clients.start('-', fake.url, agent.e164)));
    for (const report of own) expect(report).toMatchObject({ hubPid: null, direct: 1 });
    expect(realtime.openSockets).toBe(1 + 3);
    expect(hub.server.stats.clients).toBe(10);
  }, 90_000);
});
