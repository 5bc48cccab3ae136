// `npm run bench:call-setup`: our own call-setup overhead, from the moment the job has its SIP
// participant (runCall starts) to the greeting's first text handed to TTS. Providers are local
// fakes with zero latency (OpenAI, ElevenLabs over its real WebSocket protocol); the database is
// embedded Postgres through the real Postgres config source and call store; the hang-up after
// each greeting goes to the LiveKit fake.
//   cold:      the dialed number is not in the worker's cache (one resolve round trip)
//   warm:      the number was resolved before (cache hit, no database round trip)
//   prewarmed: a fresh source preloaded in prewarm, as each one-shot job process does (cache hit)
// It also times the preload itself at the cache's size (BENCH_PRELOAD_NUMBERS, default 10 000):
// the framework gives prewarm 10 s, and agent/job.ts waits for config at most 6 s of it.
import { initializeLogger, log } from '@livekit/agents';
import postgres from 'postgres';
import { runCall } from '../agent/call/run_call.ts';
import { createCallStore, createConfigSource } from '../agent/config/create_config_source.ts';
import { DiscardAudioOutput } from '../agent/testing/discard_audio_output.ts';
import { fakeLiveKitCall } from '../agent/testing/fake_livekit_call.ts';
import { textProviders } from '../agent/call/text_providers.ts';
import { startElevenLabsFake } from '../test/fakes/elevenlabs.ts';
import { FakeLiveKit } from '../test/fakes/livekit.ts';
import { startFakeOpenAI } from '../test/fakes/openai.ts';
import { fmt, percentile, startBenchDatabase } from './_database.ts';

const CALLS_PER_CASE = Number(process.env.BENCH_CALLS ?? 40);
const PRELOAD_NUMBERS = Number(process.env.BENCH_PRELOAD_NUMBERS ?? 10_000);

async function main(): Promise<void> {
  initializeLogger({ pretty: false, level: 'error' });
  const database = await startBenchDatabase('call-setup');
  const [openai, eleven, livekit] = await Promise.all([startFakeOpenAI(), startElevenLabsFake(), FakeLiveKit.start()]);
  const sql = postgres(database.url, { max: 2, onnotice: () => {} });
  const numbers = await seedNumbers(sql, CALLS_PER_CASE * 3 + 5);
  const backend = { kind: 'postgres' as const, databaseUrl: database.url };
  const source = createConfigSource(backend, { reconcileIntervalMs: 0 });
  const store = createCallStore(backend);
  await source.start();
  const providers = textProviders({
    openaiApiKey: openai.apiKey,
    openaiBaseUrl: openai.baseUrl,
    eleven: { apiKey: eleven.apiKey, baseUrl: eleven.apiBaseUrl },
  });

  const ended: Promise<unknown>[] = [];
  async function setupMs(dialed: string, configSource = source): Promise<number> {
    const { info, controls } = fakeLiveKitCall(livekit, dialed);
    let handedAt = 0;
    const greeted = new Promise<void>((resolve) => {
      const start = performance.now();
      const run = runCall(
        info,
        { configSource, callStore: store, providers, controls, logger: log() },
        {
          audioOutput: new DiscardAudioOutput(),
          onTtsText: (at) => {
            if (handedAt === 0) {
              handedAt = at - start;
              resolve();
            }
          },
        },
      ).then(async (call) => {
        await greeted;
        await call.end('agent_hangup');
        await call.finished;
      });
      ended.push(run);
    });
    await greeted;
    return handedAt;
  }

  // Warm-up: load modules, open sockets and pools (not measured).
  for (const n of numbers.slice(0, 5)) await setupMs(n);

  const cold: number[] = [];
  const warm: number[] = [];
  for (const n of numbers.slice(5, 5 + CALLS_PER_CASE)) cold.push(await setupMs(n));
  const warmNumbers = numbers.slice(5 + CALLS_PER_CASE, 5 + CALLS_PER_CASE * 2);
  for (const n of warmNumbers) await source.resolve(n);
  for (const n of warmNumbers) warm.push(await setupMs(n));

  // A job process's source: started and preloaded before any call, then the call's number is
  // one this source never resolved on its own.
  const prewarmedSource = createConfigSource(backend, { reconcileIntervalMs: 0 });
  await prewarmedSource.start();
  const preloaded = await prewarmedSource.preload();
  const prewarmed: number[] = [];
  const fetchesBefore = prewarmedSource.stats.fetches;
  for (const n of numbers.slice(5 + CALLS_PER_CASE * 2)) prewarmed.push(await setupMs(n, prewarmedSource));
  const prewarmedFetches = prewarmedSource.stats.fetches - fetchesBefore;
  await prewarmedSource.close();

  const line = (name: string, values: number[]) => {
    const sorted = [...values].sort((a, b) => a - b);
    console.log(
      `  ${name.padEnd(9)} n=${sorted.length}  p50 ${fmt(percentile(sorted, 50))}  p90 ${fmt(percentile(sorted, 90))}  p99 ${fmt(percentile(sorted, 99))}  max ${fmt(sorted[sorted.length - 1]!)}`,
    );
  };
  console.log('call setup: job start -> greeting text handed to TTS (providers faked, zero latency)');
  line('cold', cold);
  line('warm', warm);
  line('prewarmed', prewarmed);
  console.log(
    `  prewarmed calls made ${prewarmedFetches} config round trips (preload: ${preloaded.loaded} numbers in ${fmt(preloaded.durationMs)})`,
  );

  // The preload at the cache's full size, as prewarm runs it in every job process.
  await seedBulk(sql, PRELOAD_NUMBERS);
  const big: number[] = [];
  for (let i = 0; i < 3; i++) {
    const fresh = createConfigSource(backend, { reconcileIntervalMs: 0 });
    await fresh.start();
    const result = await fresh.preload();
    if (result.failed) throw new Error('the preload failed');
    big.push(result.durationMs);
    await fresh.close();
  }
  big.sort((a, b) => a - b);
  console.log(
    `preload at the cache size (list_configured_numbers + resolve_agent_configs in batches of 250), ${PRELOAD_NUMBERS} numbers:`,
  );
  console.log(
    `  n=${big.length}  min ${fmt(big[0]!)}  median ${fmt(big[1]!)}  max ${fmt(big[2]!)}  (budget in prewarm: 6000 ms)`,
  );

  await Promise.allSettled(ended);
  await source.close();
  await store.close?.();
  await sql.end();
  await Promise.all([openai.close(), eleven.close(), livekit.close()]);
  await database.stop();
}

async function seedNumbers(sql: postgres.Sql, count: number): Promise<string[]> {
  const numbers: string[] = [];
  for (let i = 0; i < count; i++) {
    const owner = crypto.randomUUID();
    const e164 = `+1555${String(2_000_000 + i)}`;
    await sql`insert into auth.users (id, email, aud, role, raw_app_meta_data, raw_user_meta_data, created_at, updated_at)
              values (${owner}, ${`bench-${i}@example.test`}, 'authenticated', 'authenticated', '{}', '{}', now(), now())`;
    const [config] =
      await sql`insert into public.agent_configs (owner_id, name, greeting) values (${owner}, 'Bench', 'Thanks for calling!') returning id`;
    await sql`insert into public.phone_numbers (e164, owner_id, agent_config_id) values (${e164}, ${owner}, ${config!.id})`;
    numbers.push(e164);
  }
  return numbers;
}

/** Owners, configs and numbers in three set-based statements (the cache-size preload case). */
async function seedBulk(sql: postgres.Sql, count: number): Promise<void> {
  await sql`insert into auth.users (id, email, aud, role, raw_app_meta_data, raw_user_meta_data, created_at, updated_at)
            select gen_random_uuid(), 'bulk-' || n || '@example.test', 'authenticated', 'authenticated', '{}', '{}', now(), now()
              from generate_series(1, ${count}) n`;
  await sql`insert into public.agent_configs (owner_id, name, greeting, system_prompt)
            select u.id, 'Bulk', 'Thanks for calling!', repeat('You answer the phone for a small business. ', 20)
              from auth.users u where u.email like 'bulk-%'`;
  await sql`insert into public.phone_numbers (e164, owner_id, agent_config_id)
            select '+1556' || lpad(row_number() over ()::text, 7, '0'), c.owner_id, c.id
              from public.agent_configs c where c.name = 'Bulk'`;
}

main().catch((error: unknown) => {
  console.error(`bench: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
