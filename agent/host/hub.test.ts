// The worker hub with job-side clients in this process: resolves come from the host's cache,
// changes reach every watcher, and the faults: a hub that goes away (the call keeps its config,
// a new call gets the default agent), a database outage and a main-process restart under record
// writes (none lost), and no hub at all (the job writes directly).
import { createConnection } from 'node:net';
import { once } from 'node:events';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { unknownCallStart } from '../testing/call_starts.ts';
import { createTestDatabase, type TestDatabase } from '../../test/db/harness.ts';
import { startTcpProxy, type TcpProxy } from '../../test/fakes/tcp_proxy.ts';
import { resolveCallConfig } from '../call/resolve_call_config.ts';
import { seedAgent } from '../config/_test_fixtures.ts';
import { createCallStore } from '../config/create_config_source.ts';
import type { CallStart } from '../store/call_rows.ts';
import { DurableWrites } from '../store/durable_writes.ts';
import { PostgresCallStore } from '../store/postgres_call_store.ts';
import { HubCallStore } from './hub_call_store.ts';
import { HubClient } from './hub_client.ts';
import { HubConfigSource } from './hub_config_source.ts';
import { HubServer } from './hub_server.ts';
import { encode } from './protocol.ts';
import { type RunningHub, startHub } from './start_hub.ts';

let db: TestDatabase;
const cleanups: Array<() => Promise<unknown> | unknown> = [];
beforeAll(async () => {
  db = await createTestDatabase();
});
afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
  await db.close();
});

let sockets = 0;
const socketPath = () => path.join(process.env.TMPDIR ?? '/tmp', `sw-hub-${process.pid}-${++sockets}.sock`);

async function hubOn(socket: string, databaseUrl = db.url): Promise<RunningHub> {
  const hub = await startHub({ backend: { kind: 'postgres', databaseUrl }, socketPath: socket, dbTimeoutMs: 1_000 });
  cleanups.push(() => hub.close());
  return hub;
}

function job(socket: string, options: { databaseUrl?: string } = {}) {
  const client = new HubClient({ socketPath: socket, reconnectDelayMs: 50 });
  const source = new HubConfigSource(client, { resolveTimeoutMs: 1_500 });
  const store = new HubCallStore(client, {
    writeTimeoutMs: 500,
    direct: () =>
      createCallStore(
        { kind: 'postgres', databaseUrl: options.databaseUrl ?? db.url },
        { timeoutMs: 1_000, poolSize: 1 },
      ),
  });
  const writes = new DurableWrites({ firstRetryDelayMs: 50, maxRetryDelayMs: 300 });
  cleanups.push(
    () => source.close(),
    () => store.close(),
  );
  const writeStart = (callId: string, start: CallStart) =>
    writes.enqueue({
      key: `call:${callId}`,
      what: 'call start',
      apply: async () => void (await store.recordCall(callId, start)),
    });
  return { client, source, store, writes, writeStart };
}

const rowCount = async (callId: string) =>
  (await db.sql<{ n: number }[]>`select count(*)::int as n from public.calls where id = ${callId}`)[0]!.n;

describe('config through the hub', () => {
  it('answers a job from the host cache; the idle job holds no config of its own', async () => {
    const agent = await seedAgent(db);
    const hub = await hubOn(socketPath());
    await expect.poll(() => hub.configSource.stats.deliveryLive).toBe(true);
    await hub.configSource.resolve(agent.e164); // preloaded or fetched once: the host cache has it
    const { source } = job(hub.socketPath);
    await source.start();
    expect(source.heldNumbers).toBe(0);
    const fetches = hub.configSource.stats.fetches;
    const answer = await source.resolve(agent.e164);
    expect(answer).toMatchObject({ origin: 'cache', resolved: { config: { id: agent.configId } } });
    expect(hub.configSource.stats.fetches).toBe(fetches);
    expect(source.heldNumbers).toBe(1);
  });

  it('delivers a committed change to every job watching the number, and to none watching another', async () => {
    const [agent, other] = [await seedAgent(db), await seedAgent(db)];
    const hub = await hubOn(socketPath());
    const heard: number[][] = [];
    const watchers = await Promise.all(
      Array.from({ length: 5 }, async (_, i) => {
        const { source } = job(hub.socketPath);
        await source.resolve(agent.e164);
        heard[i] = [];
        source.watch(agent.e164, (next) => heard[i]!.push(next.config!.version));
        return source;
      }),
    );
    const bystander = job(hub.socketPath).source;
    await bystander.resolve(other.e164);
    const unrelated: number[] = [];
    bystander.watch(other.e164, (next) => unrelated.push(next.config!.version));
    await db.sql`update public.agent_configs set greeting = 'Changed' where id = ${agent.configId}`;
    await expect.poll(() => heard.map((versions) => versions.join(','))).toEqual(Array(5).fill('2'));
    for (const source of watchers) expect((await source.resolve(agent.e164)).resolved.config?.greeting).toBe('Changed');
    expect(unrelated).toEqual([]);
  });

  it('keeps a call on its config while the hub is gone, gives a new call the default agent, and catches up when the hub is back', async () => {
    const [agent, never] = [await seedAgent(db), await seedAgent(db)];
    const socket = socketPath();
    const first = await hubOn(socket);
    const { source } = job(socket);
    await source.resolve(agent.e164);
    const versions: number[] = [];
    source.watch(agent.e164, (next) => versions.push(next.config!.version));

    await first.close(); // the main process is gone
    expect(await source.resolve(agent.e164)).toMatchObject({
      origin: 'last_known',
      resolved: { config: { id: agent.configId, version: 1 } },
    });
    const fallback = await resolveCallConfig(source, never.e164, () => {});
    expect(fallback).toMatchObject({ kind: 'agent', origin: 'default', agentConfigId: null });

    // Edited while no hub runs; the next main process starts: the watching call gets the change.
    await db.sql`update public.agent_configs set greeting = 'While away' where id = ${agent.configId}`;
    await hubOn(socket);
    await expect.poll(() => versions, { timeout: 5_000 }).toEqual([2]);
    await db.sql`update public.agent_configs set greeting = 'After' where id = ${agent.configId}`;
    await expect.poll(() => versions, { timeout: 5_000 }).toEqual([2, 3]);
  });

  it('refuses a client that speaks another protocol version', async () => {
    const hub = await hubOn(socketPath());
    const socket = createConnection(hub.socketPath);
    await once(socket, 'connect');
    socket.write(encode({ t: 'hello', v: 99, pid: process.pid }));
    const [chunk] = (await once(socket, 'data')) as [Buffer];
    expect(JSON.parse(chunk.toString())).toMatchObject({ t: 'refused', v: 1 });
    socket.destroy();
  });
});

describe('call records through the hub', () => {
  let proxy: TcpProxy;
  beforeAll(async () => {
    const target = new URL(db.url);
    proxy = await startTcpProxy({ host: target.hostname, port: Number(target.port) });
    cleanups.push(() => proxy.close());
  });

  it("writes a job's row through the hub, idempotently", async () => {
    const hub = await hubOn(socketPath());
    const { store, writeStart } = job(hub.socketPath);
    const callId = crypto.randomUUID();
    const start = unknownCallStart();
    await writeStart(callId, start);
    expect(await store.recordCall(callId, start)).toBe(callId); // again: the same row
    expect(await rowCount(callId)).toBe(1);
    expect(store.stats).toMatchObject({ direct: 0 });
  });

  it('holds writes through a database outage and writes them once it is back', async () => {
    const hub = await hubOn(socketPath(), proxy.rewrite(db.url));
    const { store, writes, writeStart } = job(hub.socketPath);
    await writeStart(crypto.randomUUID(), unknownCallStart()); // warm
    await proxy.setMode({ kind: 'refuse' });
    const ids = [crypto.randomUUID(), crypto.randomUUID(), crypto.randomUUID()];
    const written = Promise.all(ids.map((id) => writeStart(id, unknownCallStart())));
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    expect(writes.pending).toBe(3);
    expect(hub.server.pendingWrites).toBeGreaterThan(0);
    await proxy.setMode({ kind: 'pass' });
    await written;
    for (const id of ids) expect(await rowCount(id)).toBe(1);
    expect(store.stats.direct).toBe(0);
  }, 30_000);

  it('loses no write when the main process restarts during an outage', async () => {
    const socket = socketPath();
    const dead = await startTcpProxy({ host: '127.0.0.1', port: Number(new URL(db.url).port) });
    cleanups.push(() => dead.close());
    await dead.setMode({ kind: 'refuse' });
    // The first main process never reaches the database, then dies with the write in its queue.
    const first = new HubServer({
      socketPath: socket,
      configSource: (await hubOn(socketPath())).configSource,
      callStore: new PostgresCallStore({ databaseUrl: dead.rewrite(db.url), timeoutMs: 300, connectTimeoutMs: 300 }),
    });
    await first.listen();
    const { writes, writeStart } = job(socket);
    const callId = crypto.randomUUID();
    const written = writeStart(callId, unknownCallStart());
    await expect.poll(() => first.pendingWrites).toBe(1);
    await first.close();
    expect(writes.pending).toBe(1); // the job still has it
    await hubOn(socket); // the next main process, database reachable
    await written;
    expect(await rowCount(callId)).toBe(1);
  }, 30_000);

  it("writes directly through the job's own queue when there is no hub", async () => {
    const { store, writeStart } = job(socketPath());
    const callId = crypto.randomUUID();
    await writeStart(callId, unknownCallStart());
    expect(await rowCount(callId)).toBe(1);
    expect(store.stats).toMatchObject({ throughHub: 0, direct: 1 });
  });
});
