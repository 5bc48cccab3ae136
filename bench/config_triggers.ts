// Cost of the agent_configs triggers (voice-ID check, version, issues, audit, notify):
// inserting 10k configs with the triggers on vs off. Target: <= 1.5x.
import postgres from 'postgres';
import { startBenchDatabase } from './_database.ts';

const CONFIGS = 10_000;
const ROUNDS = 3;

const db = await startBenchDatabase('triggers');
const sql = postgres(db.url, { max: 1, onnotice: () => {} });

async function timed(work: () => Promise<unknown>): Promise<number> {
  await sql`truncate public.agent_configs, public.config_changes, public.config_issues cascade`;
  const start = performance.now();
  await work();
  return performance.now() - start;
}

const oneStatement = () => sql`insert into public.agent_configs (owner_id, name, voice_id)
  select id, 'Desk ' || g, '21m00Tcm4TlvDq8ikWAM' from auth.users, generate_series(1, ${CONFIGS}) g`;
// How owners actually write configs: one insert per request, each its own transaction.
const autocommit = async () => {
  const [{ id }] = (await sql`select id from auth.users limit 1`) as unknown as [{ id: string }];
  for (let i = 0; i < CONFIGS; i++) {
    await sql`insert into public.agent_configs (owner_id, name, voice_id) values (${id}, ${`Desk ${i}`}, '21m00Tcm4TlvDq8ikWAM')`;
  }
};
const rowByRow = () =>
  sql.begin(async (tx) => {
    const [{ id }] = (await tx`select id from auth.users limit 1`) as unknown as [{ id: string }];
    for (let i = 0; i < CONFIGS; i++) {
      await tx`insert into public.agent_configs (owner_id, name, voice_id) values (${id}, ${`Desk ${i}`}, '21m00Tcm4TlvDq8ikWAM')`;
    }
  });

async function best(work: () => Promise<unknown>): Promise<number> {
  let min = Number.POSITIVE_INFINITY;
  for (let i = 0; i < ROUNDS; i++) min = Math.min(min, await timed(work));
  return min;
}

try {
  await sql`insert into auth.users (id, email) values (gen_random_uuid(), 'bench@bench.test')`;
  const results: Array<[string, number, number, number]> = [];
  for (const [label, work] of [
    ['one 10k-row statement', oneStatement],
    ['10k single-row inserts, one transaction', rowByRow],
    ['10k single-row inserts, autocommit', autocommit],
  ] as const) {
    await sql`alter table public.agent_configs enable trigger user`;
    const withTriggers = await best(work);
    // The audit row written per created config is a second table write; measured apart so the
    // figure shows what it costs on its own.
    await sql`alter table public.agent_configs disable trigger agent_configs_audit_insert`;
    const withoutAuditRow = await best(work);
    await sql`alter table public.agent_configs disable trigger user`;
    const without = await best(work);
    await sql`alter table public.agent_configs enable trigger user`;
    results.push([label, withTriggers, withoutAuditRow, without]);
  }
  console.log(`inserting ${CONFIGS} agent_configs, best of ${ROUNDS} (target ratio <= 1.5x):`);
  for (const [label, on, noAudit, off] of results) {
    console.log(
      `  ${label.padEnd(40)} triggers on ${on.toFixed(0)} ms (${(on / off).toFixed(2)}x), without the insert audit row ${noAudit.toFixed(0)} ms (${(noAudit / off).toFixed(2)}x), off ${off.toFixed(0)} ms`,
    );
  }
} finally {
  await sql.end();
  await db.stop();
}
