// resolve_agent_config latency with 100k numbers on loopback, as the worker calls it
// (one prepared statement per call setup). Target: p99 <= 2 ms.
import postgres from 'postgres';
import { fmt, percentile, startBenchDatabase } from './_database.ts';

const NUMBERS = 100_000;
const CALLS = 5_000;
const WARMUP = 500;

const db = await startBenchDatabase('resolve');
const sql = postgres(db.url, { max: 1, onnotice: () => {} });
try {
  console.log(`seeding ${NUMBERS} owners, configs and numbers ...`);
  await sql`insert into auth.users (id, email) select gen_random_uuid(), 'u' || g || '@bench.test' from generate_series(1, ${NUMBERS}) g`;
  await sql`insert into public.agent_configs (owner_id, name) select id, 'Desk' from auth.users`;
  await sql`insert into public.phone_numbers (e164, owner_id, agent_config_id)
            select '+1555' || lpad((row_number() over ())::text, 7, '0'), owner_id, id from public.agent_configs`;
  await sql`analyze`;

  const dialed = (i: number) => `+1555${String((i * 7919) % NUMBERS + 1).padStart(7, '0')}`;
  for (let i = 0; i < WARMUP; i++) await sql`select public.resolve_agent_config(${dialed(i)}) as r`;
  const samples: number[] = [];
  for (let i = 0; i < CALLS; i++) {
    const start = performance.now();
    const [row] = await sql`select public.resolve_agent_config(${dialed(i)}) as r`;
    samples.push(performance.now() - start);
    if (!row?.r?.config) throw new Error(`number ${dialed(i)} did not resolve`);
  }
  samples.sort((a, b) => a - b);
  console.log(`resolve_agent_config, ${NUMBERS} numbers, ${CALLS} calls on loopback:`);
  console.log(`  p50 ${fmt(percentile(samples, 50))}  p90 ${fmt(percentile(samples, 90))}  p99 ${fmt(percentile(samples, 99))}  (target p99 <= 2 ms)`);
} finally {
  await sql.end();
  await db.stop();
}
