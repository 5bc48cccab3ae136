// resolve_agent_config latency with 100k numbers on loopback, as the worker calls it (one
// prepared statement per call setup): one client alone, then 8 clients at once, each on its own
// connection (several job processes answering calls together). Target: p99 <= 1 ms with 8 clients.
import postgres from 'postgres';
import { fmt, percentile, startBenchDatabase } from './_database.ts';

const NUMBERS = 100_000;
const CALLS = 5_000;
const WARMUP = 500;
const CLIENTS = 8;
const TARGET_P99_MS = 1;

const dialed = (i: number) => `+1555${String(((i * 7919) % NUMBERS) + 1).padStart(7, '0')}`;

/** Each client resolves `calls` numbers one after another; returns every latency in ms. */
async function run(sql: postgres.Sql, clients: number, calls: number): Promise<number[]> {
  const samples: number[] = [];
  await Promise.all(
    Array.from({ length: clients }, async (_, client) => {
      for (let i = 0; i < calls; i++) {
        const number = dialed(client * calls + i);
        const start = performance.now();
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
    `  ${label.padEnd(10)} p50 ${fmt(percentile(samples, 50))}  p90 ${fmt(percentile(samples, 90))}  p99 ${fmt(percentile(samples, 99))}  (target p99 <= ${TARGET_P99_MS} ms)`,
  );

const db = await startBenchDatabase('resolve');
const sql = postgres(db.url, { max: CLIENTS, onnotice: () => {} });
try {
  console.log(`seeding ${NUMBERS} owners, configs and numbers ...`);
  await sql`insert into auth.users (id, email) select gen_random_uuid(), 'u' || g || '@bench.test' from generate_series(1, ${NUMBERS}) g`;
  await sql`insert into public.agent_configs (owner_id, name) select id, 'Desk' from auth.users`;
  await sql`insert into public.phone_numbers (e164, owner_id, agent_config_id)
            select '+1555' || lpad((row_number() over ())::text, 7, '0'), owner_id, id from public.agent_configs`;
  await sql`analyze`;

  // Warm every connection of the pool (its prepared statement and the function's cached plan).
  await run(sql, CLIENTS, Math.ceil(WARMUP / CLIENTS));
  console.log(`resolve_agent_config, ${NUMBERS} numbers on loopback:`);
  report('1 client', await run(sql, 1, CALLS));
  report(`${CLIENTS} clients`, await run(sql, CLIENTS, Math.ceil(CALLS / CLIENTS)));
} finally {
  await sql.end();
  await db.stop();
}
