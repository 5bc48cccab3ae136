// A worker killed mid-call: a process running a call through the real call flow (its row written,
// its heartbeat moving) is SIGKILLed, so nothing ends the call. The sweep, as every worker's main
// process runs it, closes the row as worker_lost once the heartbeat has lapsed, ended at the
// last heartbeat. Timings are shortened (heartbeat 100 ms, lapse 600 ms); production uses 15 s
// and 2 min, and the logic is the same.
import { type ChildProcess, spawn } from 'node:child_process';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../../test/db/harness.ts';
import { FakeLiveKit } from '../../test/fakes/livekit.ts';
import { type FakeOpenAI, startFakeOpenAI } from '../../test/fakes/openai.ts';
import { recordingLogger, seedAgent } from '../config/_test_fixtures.ts';
import { CallSweep } from '../store/call_sweep.ts';
import { PostgresCallStore } from '../store/postgres_call_store.ts';
import type { CallProcessInput } from '../testing/call_process.ts';
import { fakeLiveKitCall } from '../testing/fake_livekit_call.ts';

const CALL_PROCESS = path.join(import.meta.dirname, '../testing/call_process.ts');
const HEARTBEAT_MS = 100;
const LAPSE_MS = 600;

let db: TestDatabase;
let openai: FakeOpenAI;
let livekit: FakeLiveKit;
let child: ChildProcess | undefined;
beforeAll(async () => {
  [db, openai, livekit] = await Promise.all([createTestDatabase(), startFakeOpenAI(), FakeLiveKit.start()]);
});
afterAll(async () => {
  child?.kill('SIGKILL');
  await Promise.all([db.close(), openai.close(), livekit.close()]);
});

/** Starts the call process and resolves with its calls row id once the row is written. */
function startCallProcess(input: CallProcessInput): Promise<string> {
  child = spawn(process.execPath, [CALL_PROCESS, JSON.stringify(input)], { stdio: ['ignore', 'pipe', 'inherit'] });
  return new Promise((resolve, reject) => {
    let out = '';
    child!.stdout!.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const line = out.split('\n').find((l) => l.startsWith('{"recorded"'));
      if (line) resolve((JSON.parse(line) as { recorded: string }).recorded);
    });
    child!.once('exit', (code) => reject(new Error(`the call process exited (${code}) before its row was written`)));
  });
}

const rowOf = async (id: string) => (await db.sql`select * from public.calls where id = ${id}`)[0]!;

async function closedRow(id: string, timeoutMs: number) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const row = await rowOf(id);
    if (row.ended_at !== null || Date.now() > deadline) return row;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

it('closes the row of a call whose process was killed as worker_lost, once its heartbeat lapsed', async () => {
  const agent = await seedAgent(db);
  const { info } = fakeLiveKitCall(livekit, agent.e164);
  const id = await startCallProcess({
    databaseUrl: db.url,
    info,
    livekit: { url: livekit.url, apiKey: livekit.apiKey, apiSecret: livekit.apiSecret },
    openai: { apiKey: openai.apiKey, baseUrl: openai.baseUrl },
    heartbeatIntervalMs: HEARTBEAT_MS,
  });
  const first = (await rowOf(id)).heartbeat_at as Date;
  await new Promise((resolve) => setTimeout(resolve, 3 * HEARTBEAT_MS));
  expect(((await rowOf(id)).heartbeat_at as Date).getTime()).toBeGreaterThan(first.getTime());

  const exited = new Promise((resolve) => child!.once('exit', resolve));
  child!.kill('SIGKILL');
  await exited;
  const lastBeat = (await rowOf(id)).heartbeat_at as Date;
  expect(await rowOf(id)).toMatchObject({ ended_at: null });

  const store = new PostgresCallStore({ databaseUrl: db.url });
  const sweep = new CallSweep(store, { lapseMs: LAPSE_MS, intervalMs: 100, logger: recordingLogger() });
  sweep.start();
  try {
    const row = await closedRow(id, 10_000);
    expect(row).toMatchObject({
      end_reason: 'worker_lost',
      owner_id: agent.ownerId,
      details: { swept_at: expect.any(String) },
    });
    expect((row.ended_at as Date).getTime()).toBe(lastBeat.getTime());
  } finally {
    sweep.stop();
    await store.close();
  }
}, 30_000);
