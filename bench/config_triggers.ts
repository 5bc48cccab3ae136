// Cost of the agent_configs triggers (transfer-number and voice-ID checks, version, audit row,
// issues, notification; migration 20261207000100): inserting 10k configs with the triggers on vs
// off, as one statement, as single-row inserts in one transaction, and as single-row inserts each
// in its own transaction (how owners save: one request, one insert). Target: <= 1.5x.
// A third figure, "by hand", does with no trigger at all the two things the triggers must write
// besides the config: the audit row (a second table write, with its own foreign-key check and
// indexes) and the NOTIFY, in the insert statement itself. It is the floor of that work; what the
// triggers cost above it is their own machinery and the checks.
import { loadavg } from 'node:os';
import postgres from 'postgres';
import { startBenchDatabase } from './_database.ts';

const CONFIGS = 10_000;
const ROUNDS = 3;
const TARGET_RATIO = 1.5;
const RACHEL = '21m00Tcm4TlvDq8ikWAM';

const db = await startBenchDatabase('triggers');
const sql = postgres(db.url, { max: 1, onnotice: () => {} });

async function timed(work: () => Promise<unknown>): Promise<number> {
  await sql`truncate public.agent_configs, public.config_changes, public.config_issues cascade`;
  const start = performance.now();
  await work();
  return performance.now() - start;
}

type Insert = (tx: postgres.Sql | postgres.TransactionSql, owner: string, i: number) => Promise<unknown>;

const plainInsert: Insert = (tx, owner, i) =>
  tx`insert into public.agent_configs (owner_id, name, voice_id) values (${owner}, ${`Desk ${i}`}, ${RACHEL})`;
/** The insert, its audit row and its notification in one statement, as the trigger writes them. */
const byHandInsert: Insert = (tx, owner, i) =>
  tx`with c as (insert into public.agent_configs (owner_id, name, voice_id) values (${owner}, ${`Desk ${i}`}, ${RACHEL}) returning *),
          a as (insert into public.config_changes (agent_config_id, owner_id, operation, new_value, version, changed_by, changed_by_role)
                select c.id, c.owner_id, 'insert', to_jsonb(c), c.version, null, current_user from c)
     select pg_notify('switchboard_config_changed', jsonb_build_object('table', 'agent_configs', 'op', 'insert',
              'rows', jsonb_build_array(jsonb_build_object('id', c.id, 'version', c.version)))::text) from c`;

const owner = async (tx: postgres.Sql | postgres.TransactionSql) =>
  ((await tx`select id from auth.users limit 1`) as unknown as [{ id: string }])[0].id;

const oneStatement = (byHand: boolean) => () =>
  byHand
    ? sql`with c as (insert into public.agent_configs (owner_id, name, voice_id)
                     select id, 'Desk ' || g, ${RACHEL} from auth.users, generate_series(1, ${CONFIGS}) g returning *),
               a as (insert into public.config_changes (agent_config_id, owner_id, operation, new_value, version, changed_by, changed_by_role)
                     select c.id, c.owner_id, 'insert', to_jsonb(c), c.version, null, current_user from c)
          select pg_notify('switchboard_config_changed', '{"all": true, "op": "insert", "table": "agent_configs"}') from (select count(*) from c) n`
    : sql`insert into public.agent_configs (owner_id, name, voice_id)
          select id, 'Desk ' || g, ${RACHEL} from auth.users, generate_series(1, ${CONFIGS}) g`;
const rowByRow = (byHand: boolean) => () =>
  sql.begin(async (tx) => {
    const id = await owner(tx);
    for (let i = 0; i < CONFIGS; i++) await (byHand ? byHandInsert : plainInsert)(tx, id, i);
  });
const autocommit = (byHand: boolean) => async () => {
  const id = await owner(sql);
  for (let i = 0; i < CONFIGS; i++) await (byHand ? byHandInsert : plainInsert)(sql, id, i);
};

/** Best of ROUNDS for each mode, the modes taking turns in every round so that a change in the
 * machine's load (other processes share its cores) hits all three alike. */
async function bestOfEach(work: (byHand: boolean) => () => Promise<unknown>): Promise<[number, number, number]> {
  const best: [number, number, number] = [Number.POSITIVE_INFINITY, Number.POSITIVE_INFINITY, Number.POSITIVE_INFINITY];
  for (let i = 0; i < ROUNDS; i++) {
    await sql`alter table public.agent_configs enable trigger user`;
    best[0] = Math.min(best[0], await timed(work(false)));
    await sql`alter table public.agent_configs disable trigger user`;
    best[1] = Math.min(best[1], await timed(work(true)));
    best[2] = Math.min(best[2], await timed(work(false)));
  }
  await sql`alter table public.agent_configs enable trigger user`;
  return best;
}

const load = () =>
  loadavg()
    .map((l) => l.toFixed(2))
    .join(' ');

try {
  await sql`insert into auth.users (id, email) values (gen_random_uuid(), 'bench@bench.test')`;
  const results: Array<[string, number, number, number]> = [];
  const loadBefore = load();
  for (const [label, work] of [
    ['one 10k-row statement', oneStatement],
    ['10k single-row inserts, one transaction', rowByRow],
    ['10k single-row inserts, autocommit', autocommit],
  ] as const) {
    results.push([label, ...(await bestOfEach(work))]);
  }
  console.log(
    `inserting ${CONFIGS} agent_configs, best of ${ROUNDS} (target ratio <= ${TARGET_RATIO}x; load ${loadBefore} before, ${load()} after):`,
  );
  for (const [label, on, byHand, off] of results) {
    console.log(
      `  ${label.padEnd(40)} triggers on ${on.toFixed(0)} ms (${(on / off).toFixed(2)}x), audit row and notify by hand without triggers ${byHand.toFixed(0)} ms (${(byHand / off).toFixed(2)}x), off ${off.toFixed(0)} ms`,
    );
  }
} finally {
  await sql.end();
  await db.stop();
}
