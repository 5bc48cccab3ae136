// `npm run worker:stats` against a real hub on the test database: it finds the hub's socket in
// the temp directory, prints its counters (or JSON), and tells a missing hub from one that no
// longer answers (a stale socket file), each with its exit code.
import { spawnSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHub, type RunningHub } from '../../agent/host/start_hub.ts';
import { createTestDatabase, type TestDatabase } from '../../test/db/harness.ts';
import { EXIT_CODE } from '../exit_code.ts';
import { runHubStats, type StatsIo } from './hub_stats.ts';

let db: TestDatabase;
let dir: string;
let hub: RunningHub;

beforeAll(async () => {
  db = await createTestDatabase();
  dir = await mkdtemp(path.join(tmpdir(), 'sw-worker-stats-'));
});
afterAll(async () => {
  await hub?.close();
  await db.close();
  await rm(dir, { recursive: true, force: true });
});

function io(socketDir: string, env: Record<string, string | undefined> = {}) {
  const out: string[] = [];
  const err: string[] = [];
  const value: StatsIo = { env, socketDir, out: (line) => out.push(line), err: (line) => err.push(line) };
  return { io: value, out, err };
}

describe('worker:stats', () => {
  it('says there is no hub, with exit 2, when no socket is found', async () => {
    const run = io(dir);
    expect(await runHubStats([], run.io)).toBe(EXIT_CODE.failures);
    expect(run.err.join('\n')).toMatch(/no worker hub socket found/);
  });

  it("finds a hub's socket in the temp directory and prints its counters", async () => {
    hub = await startHub({
      backend: { kind: 'postgres', databaseUrl: db.url },
      socketPath: path.join(dir, `switchboard-hub-${process.pid}.sock`),
      dbTimeoutMs: 2_000,
    });
    const run = io(dir);
    expect(await runHubStats([], run.io)).toBe(EXIT_CODE.ok);
    expect(run.out.join('\n')).toContain(`worker main process ${process.pid}`);
    expect(run.out.join('\n')).toMatch(/job processes connected\s+0/);

    const json = io(dir);
    expect(await runHubStats(['--json'], json.io)).toBe(EXIT_CODE.ok);
    expect(JSON.parse(json.out[0]!)).toMatchObject({ socket: hub.socketPath, pid: process.pid, clients: 0 });
  });

  it('reports a socket no hub answers with exit 4, says whether its worker runs, and still prints the live hub', async () => {
    const exited = spawnSync(process.execPath, ['-e', '']).pid!; // a pid whose process is gone
    const stale = path.join(dir, `switchboard-hub-${exited}.sock`);
    const wedged = path.join(dir, `switchboard-hub-${process.ppid}.sock`);
    await Promise.all([writeFile(stale, ''), writeFile(wedged, '')]);
    const run = io(dir);
    expect(await runHubStats([], run.io)).toBe(EXIT_CODE.unreachable);
    const err = run.err.join('\n');
    expect(err).toContain(`no hub answers at ${stale}`);
    expect(err).toContain(`Its worker (pid ${exited}) is not running: remove the socket file.`);
    expect(err).toContain(`Its worker (pid ${process.ppid}) is running but its hub does not answer`);
    expect(run.out.join('\n')).toContain(`worker main process ${process.pid}`);
    await Promise.all([rm(stale), rm(wedged)]);
  });

  it('asks only the socket given by WORKER_HUB_SOCKET or --socket', async () => {
    const run = io(path.join(dir, 'nowhere'), { WORKER_HUB_SOCKET: hub.socketPath });
    expect(await runHubStats([], run.io)).toBe(EXIT_CODE.ok);
    const flag = io(path.join(dir, 'nowhere'));
    expect(await runHubStats(['--socket', hub.socketPath, '--json'], flag.io)).toBe(EXIT_CODE.ok);
    expect(flag.out).toHaveLength(1);
  });

  it('refuses an unknown flag with the usage and exit 64', async () => {
    const run = io(dir);
    expect(await runHubStats(['--watch'], run.io)).toBe(EXIT_CODE.usage);
    expect(run.err.join('\n')).toContain('Usage: npm run worker:stats');
  });
});
