// `npm run bench:hot-reload`: hot-reload propagation, UPDATE of an agent_configs row -> the
// watch() listener of the worker's config source is called with the new version.
//   postgres: the real Postgres source on embedded Postgres (LISTEN/NOTIFY + refetch).
//             Measured from sending the UPDATE (autocommit) to the listener. Target p99 <= 50 ms.
//   supabase: the real Supabase source (supabase-js) on the local PostgREST + Realtime fakes.
//             "our work" = Realtime frame arrives at the socket -> listener, minus the rpc
//             round trip to the fake (its own I/O and database time). Target p99 <= 5 ms.
// Also prints the warm resolve (cache hit) cost. Iterations: BENCH_UPDATES (default 200).
import postgres from 'postgres';
import { CachedConfigSource } from '../agent/config/cached_config_source.ts';
import { createConfigSource } from '../agent/config/create_config_source.ts';
import { SupabaseConfigBackend } from '../agent/config/supabase_backend.ts';
import type { ResolvedAgentConfig } from '../shared/agent_config.ts';
import { startSupabaseFake } from '../test/fakes/supabase_api.ts';
import { fmt, percentile, startBenchDatabase } from './_database.ts';

const UPDATES = Number(process.env.BENCH_UPDATES ?? 200);
const WARMUP = 20;
const RACHEL = '21m00Tcm4TlvDq8ikWAM';

interface Seeded {
  configId: string;
  e164: string;
}

async function seed(sql: postgres.Sql, e164: string): Promise<Seeded> {
  const userId = crypto.randomUUID();
  await sql`insert into auth.users (id, email, aud, role, raw_app_meta_data, raw_user_meta_data, created_at, updated_at)
            values (${userId}, ${`${userId.slice(0, 8)}@bench.test`}, 'authenticated', 'authenticated', '{}', '{}', now(), now())`;
  const [config] = await sql<{ id: string }[]>`
    insert into public.agent_configs (owner_id, name, voice_id, system_prompt) values (${userId}, 'Bench', ${RACHEL}, 'v0') returning id`;
  await sql`insert into public.phone_numbers (e164, owner_id, agent_config_id) values (${e164}, ${userId}, ${config!.id})`;
  return { configId: config!.id, e164 };
}

/** Runs UPDATEs one at a time and waits for each to reach the listener. */
async function propagate(
  sql: postgres.Sql,
  source: CachedConfigSource,
  seeded: Seeded,
  onIteration: (sentAt: number, heardAt: number) => void,
): Promise<void> {
  await source.resolve(seeded.e164);
  let waiting: ((at: number) => void) | undefined;
  const unwatch = source.watch(seeded.e164, (next: ResolvedAgentConfig) => {
    if (next.config) waiting?.(performance.now());
  });
  for (let i = 0; i < WARMUP + UPDATES; i += 1) {
    const heard = new Promise<number>((resolve) => (waiting = resolve));
    const sentAt = performance.now();
    await sql`update public.agent_configs set system_prompt = ${`prompt ${i}`} where id = ${seeded.configId}`;
    const heardAt = await heard;
    if (i >= WARMUP) onIteration(sentAt, heardAt);
  }
  unwatch();
}

function warmResolveUs(source: CachedConfigSource, e164: string): Promise<number[]> {
  return (async () => {
    const samples: number[] = [];
    for (let i = 0; i < 5_000; i += 1) {
      const t = performance.now();
      const answer = await source.resolve(e164);
      samples.push((performance.now() - t) * 1000);
      if (answer.origin !== 'cache') throw new Error(`warm resolve went to the ${answer.origin}`);
    }
    return samples.sort((a, b) => a - b);
  })();
}

function line(label: string, samples: number[], target?: number): string {
  const sorted = [...samples].sort((a, b) => a - b);
  const p99 = percentile(sorted, 99);
  const verdict = target === undefined ? '' : `  target p99 <= ${target} ms: ${p99 <= target ? 'met' : 'MISSED'}`;
  return `  ${label.padEnd(44)} p50 ${fmt(percentile(sorted, 50))}  p99 ${fmt(p99)}  max ${fmt(sorted.at(-1) ?? Number.NaN)}${verdict}`;
}

async function benchPostgres(url: string, sql: postgres.Sql): Promise<void> {
  const seeded = await seed(sql, '+15557000001');
  const source = createConfigSource({ kind: 'postgres', databaseUrl: url }, { reconcileIntervalMs: 0 });
  await source.start();
  const total: number[] = [];
  await propagate(sql, source, seeded, (sentAt, heardAt) => total.push(heardAt - sentAt));
  const warm = await warmResolveUs(source, seeded.e164);
  await source.close();
  console.log(`postgres source (${UPDATES} updates)`);
  console.log(line('UPDATE sent -> listener called', total, 50));
  console.log(
    `  ${'warm resolve (cache hit)'.padEnd(44)} p50 ${percentile(warm, 50).toFixed(1)} us  p99 ${percentile(warm, 99).toFixed(1)} us`,
  );
}

async function benchSupabase(url: string, sql: postgres.Sql): Promise<void> {
  const seeded = await seed(sql, '+15557000002');
  const fake = await startSupabaseFake({ databaseUrl: url });
  let frameAt = 0;
  const rpcs: Array<{ start: number; end: number }> = [];
  // Timestamps the Realtime frame before supabase-js sees it (listeners run in registration order).
  class TimedWebSocket extends WebSocket {
    constructor(address: string | URL, protocols?: string | string[]) {
      super(address, protocols);
      this.addEventListener('message', (event) => {
        if (typeof event.data === 'string' && event.data.includes('"postgres_changes",{"ids"'))
          frameAt = performance.now();
      });
    }
  }
  const timedFetch: typeof fetch = async (input, init) => {
    const start = performance.now();
    const response = await fetch(input, init);
    const body = await response.arrayBuffer();
    rpcs.push({ start, end: performance.now() });
    return new Response(body.byteLength === 0 ? null : body, {
      status: response.status,
      statusText: response.statusText,
      headers: response.headers,
    });
  };
  const backend = new SupabaseConfigBackend({
    supabaseUrl: fake.url,
    serviceRoleKey: fake.serviceRoleKey,
    fetch: timedFetch,
    realtime: { transport: TimedWebSocket },
  });
  const source = new CachedConfigSource(backend, { reconcileIntervalMs: 0 });
  await source.start();
  while (source.stats.resyncs < 2) await new Promise((resolve) => setTimeout(resolve, 5));
  await source.idle();

  const total: number[] = [];
  const ours: number[] = [];
  const rpcMs: number[] = [];
  await propagate(sql, source, seeded, (sentAt, heardAt) => {
    const inWindow = rpcs.filter((r) => r.start >= frameAt && r.end <= heardAt);
    const rpcTime = inWindow.reduce((sum, r) => sum + (r.end - r.start), 0);
    total.push(heardAt - sentAt);
    ours.push(heardAt - frameAt - rpcTime);
    rpcMs.push(rpcTime);
    rpcs.length = 0;
  });
  const warm = await warmResolveUs(source, seeded.e164);
  await source.close();
  await fake.close();
  console.log(`supabase source (${UPDATES} updates, local PostgREST + Realtime fakes)`);
  console.log(line('Realtime frame -> listener, our own work', ours, 5));
  console.log(line('rpc refetch round trip (fake + database)', rpcMs));
  console.log(line('UPDATE sent -> listener called (end to end)', total));
  console.log(
    `  ${'warm resolve (cache hit)'.padEnd(44)} p50 ${percentile(warm, 50).toFixed(1)} us  p99 ${percentile(warm, 99).toFixed(1)} us`,
  );
}

async function main(): Promise<void> {
  const database = await startBenchDatabase('hot-reload');
  const sql = postgres(database.url, { max: 1, onnotice: () => {} });
  try {
    await benchPostgres(database.url, sql);
    await benchSupabase(database.url, sql);
  } finally {
    await sql.end({ timeout: 1 });
    await database.stop();
  }
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(`bench:hot-reload failed: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
  },
);
