// The database side of the worker's hot path, on loopback.
// 1. list_configured_numbers(limit), the preload of a job process's config cache, at 1 000,
//    10 000 and 100 000 numbers: its cost must grow with the limit, not with the table (target:
//    the time for limit 100 stays flat as the table grows). The query it replaced (join every
//    number to its config, sort all of them) runs beside it for comparison.
// 2. resolve_agent_config latency with 100k numbers, as the worker calls it (one prepared
//    statement per call setup): one client alone, then 8 clients at once, each on its own
//    connection (several job processes answering calls together). Target: p99 <= 1 ms with 8 clients.
//    Beside it, the same clients sending `select 1`: the round trip and the scheduling of 8
//    clients on the machine's cores, with no query work. A resolve's figure cannot go below it.
import { loadavg } from 'node:os';
import postgres from 'postgres';
import { fmt, percentile, startBenchDatabase } from './_database.ts';

const NUMBERS = 100_000;
const TABLE_SIZES = [1_000, 10_000, NUMBERS];
const LIMITS = [100, 1_000, 10_000];
const LIST_RUNS = 20;
const CALLS = 5_000;
const WARMUP = 500;
const CLIENTS = 8;
const TARGET_P99_MS = 1;
/** Limit-100 time at 100k numbers over the same at 1k: "flat" allows the noise of a shared machine. */
const TARGET_FLAT_RATIO = 1.5;

const dialed = (i: number) => `+1555${String(((i * 7919) % NUMBERS) + 1).padStart(7, '0')}`;

/** Each client resolves `calls` numbers one after another (or, `floor`, sends `select 1`); returns
 * every latency in ms. */
async function run(sql: postgres.Sql, clients: number, calls: number, floor = false): Promise<number[]> {
  const samples: number[] = [];
  await Promise.all(
    Array.from({ length: clients }, async (_, client) => {
      for (let i = 0; i < calls; i++) {
        const number = dialed(client * calls + i);
        const start = performance.now();
        if (floor) {
          await sql`select 1 as r`;
          samples.push(performance.now() - start);
          continue;
        }
        const [row] = await sql`select public.resolve_agent_config(${number}) as r`;
        samples.push(performance.now() - start);
        if (!row?.r?.config) throw new Error(`number ${number} did not resolve`);
      }
    }),
  );
  return samples.sort((a, b) => a - b);
}

const report = (label: string, samples: number[]) =>
  console.log(
    `  ${label.padEnd(24)} p50 ${fmt(percentile(samples, 50))}  p90 ${fmt(percentile(samples, 90))}  p99 ${fmt(percentile(samples, 99))}  (target p99 <= ${TARGET_P99_MS} ms)`,
  );

/** Owners g in [from, to], each with one config answering +1555<g>. Numbers were last changed at
 * spread-out times, so the preload's order really mixes the two tables' timestamps. */
async function seed(sql: postgres.Sql, from: number, to: number) {
  await sql`insert into auth.users (id, email)
            select md5('u' || g)::uuid, 'u' || g || '@bench.test' from generate_series(${from}::int, ${to}::int) g`;
  await sql`insert into public.agent_configs (id, owner_id, name)
            select md5('c' || g)::uuid, md5('u' || g)::uuid, 'Desk' from generate_series(${from}::int, ${to}::int) g`;
  await sql`insert into public.phone_numbers (e164, owner_id, agent_config_id, updated_at)
            select '+1555' || lpad(g::text, 7, '0'), md5('u' || g)::uuid, md5('c' || g)::uuid,
                   now() - random() * interval '30 days'
              from generate_series(${from}::int, ${to}::int) g`;
  await sql`vacuum analyze`;
}

/** Best of LIST_RUNS timed runs of `query` (after two to warm the plan and the cache), in ms: the
 * least disturbed by other processes on the machine's cores. */
async function best(query: () => Promise<unknown>): Promise<number> {
  for (let i = 0; i < 2; i++) await query();
  const samples: number[] = [];
  for (let i = 0; i < LIST_RUNS; i++) {
    const start = performance.now();
    await query();
    samples.push(performance.now() - start);
  }
  return Math.min(...samples);
}

const load = () =>
  loadavg()
    .map((l) => l.toFixed(2))
    .join(' ');

const db = await startBenchDatabase('resolve');
const sql = postgres(db.url, { max: CLIENTS, onnotice: () => {} });
try {
  const flat: number[] = [];
  console.log(`list_configured_numbers(limit), best of ${LIST_RUNS} (load ${load()}):`);
  let seeded = 0;
  for (const size of TABLE_SIZES) {
    await seed(sql, seeded + 1, size);
    seeded = size;
    const cells: string[] = [];
    for (const limit of LIMITS.filter((l) => l <= size)) {
      const now = await best(() => sql`select public.list_configured_numbers(${limit}::int) as n`);
      if (limit === LIMITS[0]) flat.push(now);
      // What the function ran before 20261207000000: every configured number joined and sorted.
      const fullSort = await best(
        () => sql`select array(select p.e164 from public.phone_numbers p
                   join public.agent_configs c on c.id = p.agent_config_id and c.owner_id = p.owner_id
                   order by greatest(p.updated_at, c.updated_at) desc, p.e164 limit ${limit}::int) as n`,
      );
      cells.push(`limit ${String(limit).padStart(6)}: ${fmt(now)} (full sort ${fmt(fullSort)})`);
    }
    console.log(`  ${String(size).padStart(7)} numbers  ${cells.join('  ')}`);
  }
  console.log(
    `  limit 100 at ${NUMBERS} numbers / at ${TABLE_SIZES[0]}: ${(flat.at(-1)! / flat[0]!).toFixed(2)}x (target <= ${TARGET_FLAT_RATIO}x: flat)`,
  );

  // Warm every connection of the pool (its prepared statement and the function's cached plan).
  await run(sql, CLIENTS, Math.ceil(WARMUP / CLIENTS));
  await run(sql, CLIENTS, Math.ceil(WARMUP / CLIENTS), true);
  console.log(`resolve_agent_config, ${NUMBERS} numbers on loopback (load ${load()}):`);
  report('1 client', await run(sql, 1, CALLS));
  report('1 client, select 1', await run(sql, 1, CALLS, true));
  report(`${CLIENTS} clients`, await run(sql, CLIENTS, Math.ceil(CALLS / CLIENTS)));
  report(`${CLIENTS} clients, select 1`, await run(sql, CLIENTS, Math.ceil(CALLS / CLIENTS), true));
  console.log(`  (load ${load()})`);
} finally {
  await sql.end();
  await db.stop();
}
