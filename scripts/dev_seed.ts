// Demo data for the local stack only (`npm run dev`; never supabase/seed.sql, which production
// runs too): an owner, an agent config with a greeting, and a fictional number answered by it,
// so `npm run call -- --to +15550100` works on a fresh machine. Created once, together, when the
// demo owner does not exist; after that the rows are the developer's to change, and a
// restart never puts anything back. Deleting the demo owner brings the demo back on the next start.
import postgres from 'postgres';
import { DEV_DB_DEFAULT_PORT, devDatabasePort } from '../shared/dev_stack.ts';

export const DEMO_OWNER_EMAIL = 'demo@switchboard.local';
export const DEMO_CONFIG_NAME = 'Demo receptionist';
/** 555-01xx numbers are reserved for fiction, so this can never ring anyone. */
export const DEMO_NUMBER = '+15550100';
export const DEMO_GREETING = 'Hello, thanks for calling the Switchboard demo. How can I help you today?';
export const DEMO_PROMPT =
  'You are the receptionist of a small business in a Switchboard demo. Answer briefly and warmly, ' +
  'take a name and a message when the caller wants someone, and end the call when they say goodbye.';

/** Connecting and every statement; the seed is a handful of rows. */
const DEFAULT_TIMEOUT_MS = 10_000;

export interface DemoSeedOptions {
  /** Deadline for connecting and for each statement, in ms. Default 10 000. */
  timeoutMs?: number;
}

export interface DemoSeedResult {
  /** True when this run created the demo; false when the demo owner already existed. */
  created: boolean;
  /** The demo number when a config answers it now, else null (the developer changed it). */
  answeredNumber: string | null;
  /** Why the demo number could not be created, when it could not. */
  skipped: string | null;
}

/** Creates the demo owner, config and number if the demo owner is missing; idempotent. */
export async function seedDemoData(databaseUrl: string, options: DemoSeedOptions = {}): Promise<DemoSeedResult> {
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const sql = postgres(databaseUrl, {
    max: 1,
    onnotice: () => {},
    connect_timeout: Math.ceil(timeoutMs / 1000),
    connection: { statement_timeout: timeoutMs, lock_timeout: timeoutMs },
  });
  try {
    const outcome = await sql.begin(async (tx) => {
      // Two dev stacks starting on one database must not both create the demo.
      await tx`select pg_advisory_xact_lock(hashtext('switchboard.dev_seed'))`;
      const [owner] = await tx<{ id: string }[]>`select id from auth.users where email = ${DEMO_OWNER_EMAIL} limit 1`;
      if (owner) return { created: false, skipped: null };
      const [user] = await tx<{ id: string }[]>`
        insert into auth.users (id, email, aud, role, raw_app_meta_data, raw_user_meta_data, created_at, updated_at)
        values (gen_random_uuid(), ${DEMO_OWNER_EMAIL}, 'authenticated', 'authenticated', ${tx.json({ provider: 'email' })}, '{}', now(), now())
        returning id`;
      // The superuser connection bypasses RLS and auth.uid() is null here: owner_id is explicit.
      const [config] = await tx<{ id: string }[]>`
        insert into public.agent_configs (owner_id, name, system_prompt, greeting)
        values (${user!.id}, ${DEMO_CONFIG_NAME}, ${DEMO_PROMPT}, ${DEMO_GREETING})
        returning id`;
      const [number] = await tx<{ id: string }[]>`
        insert into public.phone_numbers (e164, owner_id, agent_config_id, label)
        values (${DEMO_NUMBER}, ${user!.id}, ${config!.id}, 'Demo line')
        on conflict (e164) do nothing
        returning id`;
      return { created: true, skipped: number ? null : `${DEMO_NUMBER} already belongs to another owner` };
    });
    const [answered] = await sql<{ e164: string }[]>`
      select n.e164 from public.phone_numbers n join public.agent_configs c on c.id = n.agent_config_id
      where n.e164 = ${DEMO_NUMBER}`;
    return { ...outcome, answeredNumber: answered?.e164 ?? null };
  } finally {
    await sql.end({ timeout: 2 });
  }
}

/** The start-up summary's demo lines: what the demo is now, and how to call it. */
export function demoSummary(demo: DemoSeedResult, env: Record<string, string | undefined>): string[] {
  const lines = [
    demo.created
      ? `  demo       created ${DEMO_OWNER_EMAIL} with "${DEMO_CONFIG_NAME}" answering ${DEMO_NUMBER}`
      : `  demo       ${DEMO_OWNER_EMAIL} exists; its configs and numbers stay as they are`,
  ];
  if (demo.skipped) lines.push(`             ${demo.skipped}`);
  if (!demo.answeredNumber) return lines;
  // npm run call finds this database by DEV_DB_PORT and needs an OpenAI key: whatever this shell
  // (or .env) does not already give it goes on the command line.
  const port = devDatabasePort(env);
  const prefix = [
    port === DEV_DB_DEFAULT_PORT ? '' : `DEV_DB_PORT=${port} `,
    env.OPENAI_API_KEY?.trim() ? '' : 'OPENAI_API_KEY=sk-... ',
  ].join('');
  lines.push(
    `  try it     ${prefix}npm run call -- --to ${demo.answeredNumber}`,
    '             (OPENAI_BASE_URL=http://host/v1 for any other Chat Completions server; Ctrl-D hangs up)',
  );
  return lines;
}
