// `node bench/host_resolve.ts`: the worker hub, measured across real processes on one host.
//   resolve: a job-like child process resolves a number from the hub's cache, one request at a
//            time (the local Unix-socket round trip included). Target p99 <= 1 ms.
//   watch:   BENCH_WATCHERS (default 50) job-like clients in 5 child processes watch one number;
//            each UPDATE of its config (autocommit) -> every watcher's listener. Measured from
//            sending the UPDATE. Target p99 <= 50 ms.
// Iterations: BENCH_RESOLVES (default 20 000), BENCH_UPDATES (default 100).
import { fork } from 'node:child_process';
import { once } from 'node:events';
import { tmpdir } from 'node:os';
import path from 'node:path';
import postgres from 'postgres';
import { HubClient } from '../agent/host/hub_client.ts';
import { HubConfigSource } from '../agent/host/hub_config_source.ts';
import { startHub } from '../agent/host/start_hub.ts';
import { percentile, startBenchDatabase } from './_database.ts';

const RESOLVES = Number(process.env.BENCH_RESOLVES ?? 20_000);
const UPDATES = Number(process.env.BENCH_UPDATES ?? 100);
const WATCHERS = Number(process.env.BENCH_WATCHERS ?? 50);
const WATCH_PROCESSES = 5;
const WARMUP = 10;
const RACHEL = '21m00Tcm4TlvDq8ikWAM';
const now = () => performance.timeOrigin + performance.now();

type ChildMessage =
  | { kind: 'ready' }
  | { kind: 'resolved'; samples: number[] }
  | { kind: 'heard'; version: number; at: number };

async function child(mode: string, socketPath: string, dialed: string, count: number): Promise<void> {
  const send = (message: ChildMessage) => process.send!(message);
  if (mode === 'resolve') {
    const source = new HubConfigSource(new HubClient({ socketPath }));
    await source.start();
    const samples: number[] = [];
    for (let i = 0; i < count + 1_000; i += 1) {
      const began = performance.now();
      await source.resolve(dialed);
      if (i >= 1_000) samples.push(performance.now() - began);
    }
    await source.close();
    // Exit only once the samples are written to the channel (exit would drop a large message).
    process.send!({ kind: 'resolved', samples } satisfies ChildMessage, () => process.exit(0));
    return;
  }
  const sources = await Promise.all(
    Array.from({ length: count }, async () => {
      const source = new HubConfigSource(new HubClient({ socketPath }));
      await source.start();
      await source.resolve(dialed);
      source.watch(dialed, (next) => send({ kind: 'heard', version: next.config!.version, at: now() }));
      return source;
    }),
  );
  send({ kind: 'ready' });
  process.on('disconnect', () => void Promise.all(sources.map((s) => s.close())).then(() => process.exit(0)));
}

async function main(): Promise<void> {
  const database = await startBenchDatabase('host_resolve');
  const sql = postgres(database.url, { max: 1, onnotice: () => {} });
  const socketPath = path.join(tmpdir(), `switchboard-bench-hub-${process.pid}.sock`);
  const hub = await startHub({
    backend: { kind: 'postgres', databaseUrl: database.url },
    socketPath,
    dbTimeoutMs: 5_000,
  });
  try {
    const userId = crypto.randomUUID();
    await sql`insert into auth.users (id, email, aud, role, raw_app_meta_data, raw_user_meta_data, created_at, updated_at)
              values (${userId}, 'bench@bench.test', 'authenticated', 'authenticated', '{}', '{}', now(), now())`;
    const [config] = await sql<
      { id: string }[]
    >`insert into public.agent_configs (owner_id, name, voice_id, system_prompt) values (${userId}, 'Bench', ${RACHEL}, 'v0') returning id`;
    const dialed = '+15550100100';
    await sql`insert into public.phone_numbers (e164, owner_id, agent_config_id) values (${dialed}, ${userId}, ${config!.id})`;
    while (!hub.configSource.stats.deliveryLive) await new Promise((resolve) => setTimeout(resolve, 20));
    await hub.configSource.resolve(dialed);

    const resolver = fork(import.meta.filename, ['resolve', socketPath, dialed, String(RESOLVES)]);
    const [resolved] = (await once(resolver, 'message')) as [Extract<ChildMessage, { kind: 'resolved' }>];
    const samples = resolved.samples.sort((a, b) => a - b);
    console.log(`hub resolve from a job process (${RESOLVES} sequential, Unix socket round trip included)`);
    console.log(
      `  p50 ${percentile(samples, 50).toFixed(3)} ms  p99 ${percentile(samples, 99).toFixed(3)} ms  max ${samples.at(-1)!.toFixed(3)} ms  (target p99 <= 1 ms)`,
    );

    const perProcess = Math.ceil(WATCHERS / WATCH_PROCESSES);
    const heard: Array<{ version: number; at: number }> = [];
    let onHeard: () => void = () => {};
    const watchers = await Promise.all(
      Array.from({ length: WATCH_PROCESSES }, async () => {
        const proc = fork(import.meta.filename, ['watch', socketPath, dialed, String(perProcess)]);
        proc.on('message', (message: ChildMessage) => {
          if (message.kind !== 'heard') return;
          heard.push(message);
          onHeard();
        });
        await once(proc, 'message');
        return proc;
      }),
    );
    const total = perProcess * WATCH_PROCESSES;
    const latencies: number[] = [];
    for (let i = 0; i < WARMUP + UPDATES; i += 1) {
      const version = i + 2;
      const all = new Promise<void>(
        (resolve) => (onHeard = () => heard.filter((h) => h.version === version).length === total && resolve()),
      );
      const sentAt = now();
      await sql`update public.agent_configs set system_prompt = ${`prompt ${i}`} where id = ${config!.id}`;
      await all;
      if (i >= WARMUP) for (const h of heard.filter((h) => h.version === version)) latencies.push(h.at - sentAt);
    }
    latencies.sort((a, b) => a - b);
    console.log(
      `config change -> every watching job (${total} watchers in ${WATCH_PROCESSES} processes, ${UPDATES} updates)`,
    );
    console.log(
      `  p50 ${percentile(latencies, 50).toFixed(2)} ms  p99 ${percentile(latencies, 99).toFixed(2)} ms  max ${latencies.at(-1)!.toFixed(2)} ms  (target p99 <= 50 ms)`,
    );
    for (const proc of watchers) proc.disconnect();
  } finally {
    await hub.close();
    await sql.end();
    await database.stop();
  }
}

const [mode, socketPath, dialed, count] = process.argv.slice(2);
if (mode) await child(mode, socketPath!, dialed!, Number(count));
else await main();
