// The hub's read-only `stats` request: what a test or an operator sees from outside the worker
// (connected job processes, resolves, queued writes), without counting the asker; a hub that
// predates `stats` (same protocol version) ignores it and the asker's deadline answers.
import { createServer } from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../../test/db/harness.ts';
import { seedAgent } from '../config/_test_fixtures.ts';
import { HubClient, readHubStats } from './hub_client.ts';
import { HubConfigSource } from './hub_config_source.ts';
import { encode, HUB_PROTOCOL_VERSION, lineReader } from './protocol.ts';
import { startHub } from './start_hub.ts';

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
const socketPath = () => path.join(process.env.TMPDIR ?? '/tmp', `sw-hub-stats-${process.pid}-${++sockets}.sock`);

describe('hub stats', () => {
  it('counts the connected job processes, not the asker, and what they asked', async () => {
    const agent = await seedAgent(db);
    const hub = await startHub({
      backend: { kind: 'postgres', databaseUrl: db.url },
      socketPath: socketPath(),
      dbTimeoutMs: 1_000,
    });
    cleanups.push(() => hub.close());
    expect(await readHubStats(hub.socketPath)).toEqual({
      pid: process.pid,
      clients: 0,
      resolves: 0,
      writes: 0,
      changes_pushed: 0,
      pending_writes: 0,
    });

    const jobs = [new HubClient({ socketPath: hub.socketPath }), new HubClient({ socketPath: hub.socketPath })];
    const sources = jobs.map((client) => new HubConfigSource(client));
    cleanups.push(...sources.map((source) => () => source.close()));
    await Promise.all(sources.map((source) => source.start()));
    await sources[0]!.resolve(agent.e164);
    expect(await readHubStats(hub.socketPath)).toMatchObject({ clients: 2, resolves: 1 });
    // A job's own client may ask too; it is not counted in what it hears (once the hub has seen
    // the previous asker's connection close).
    await expect.poll(async () => (await jobs[1]!.stats()).clients).toBe(1);

    await sources[0]!.close();
    await expect.poll(async () => (await readHubStats(hub.socketPath)).clients).toBe(1);
  });

  it('rejects within its deadline when the hub predates stats, or when no hub listens', async () => {
    // A version-1 hub from before `stats`: it welcomes, and ignores a request it does not know.
    const old = createServer((socket) => {
      const read = lineReader((message) => {
        if (message.t === 'hello') socket.write(encode({ t: 'welcome', v: HUB_PROTOCOL_VERSION, pid: 1 }));
      });
      socket.on('data', (chunk) => read(chunk));
      socket.on('error', () => {});
    });
    const oldPath = socketPath();
    await new Promise<void>((resolve) => old.listen(oldPath, resolve));
    cleanups.push(() => new Promise((resolve) => old.close(resolve)));

    const started = performance.now();
    await expect(readHubStats(oldPath, 300)).rejects.toMatchObject({ code: 'timeout', retryable: true });
    expect(performance.now() - started).toBeLessThan(2_000);
    await expect(readHubStats(socketPath(), 300)).rejects.toMatchObject({ code: 'unavailable' });
  });
});
