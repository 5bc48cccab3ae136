// The local stack's demo data on a real, migrated database: created once, never put back or
// overwritten on a restart, and answering calls the way the worker resolves them. Edits are made
// as the demo owner, through RLS, the way the frontend (or npm run agents) makes them.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../test/db/harness.ts';
import { userPersona } from '../test/db/personas.ts';
import { freePort } from './db/embedded.ts';
import {
  DEMO_CONFIG_NAME,
  DEMO_GREETING,
  DEMO_NUMBER,
  DEMO_OWNER_EMAIL,
  demoSummary,
  seedDemoData,
} from './dev_seed.ts';

let db: TestDatabase;
beforeEach(async () => {
  db = await createTestDatabase();
});
afterEach(() => db.close());

/** Every demo row, with what a restart could disturb. */
async function demoRows() {
  const owners = await db.sql<{ id: string }[]>`select id from auth.users where email = ${DEMO_OWNER_EMAIL}`;
  const configs = await db.sql<{ id: string; name: string; greeting: string; version: number; updated_at: Date }[]>`
    select c.id, c.name, c.greeting, c.version, c.updated_at from public.agent_configs c join auth.users u on u.id = c.owner_id
    where u.email = ${DEMO_OWNER_EMAIL} order by c.created_at`;
  const numbers = await db.sql<{ e164: string; agent_config_id: string | null; updated_at: Date }[]>`
    select e164, agent_config_id, updated_at from public.phone_numbers where e164 = ${DEMO_NUMBER}`;
  return { owners, configs, numbers };
}

describe('dev stack demo data', () => {
  it('creates an owner, a config with a greeting and the demo number answered by it', async () => {
    expect(await seedDemoData(db.url)).toEqual({ created: true, answeredNumber: DEMO_NUMBER, skipped: null });
    const { owners, configs, numbers } = await demoRows();
    expect(owners).toHaveLength(1);
    expect(configs).toMatchObject([{ name: DEMO_CONFIG_NAME, greeting: DEMO_GREETING, version: 1 }]);
    expect(numbers).toMatchObject([{ e164: DEMO_NUMBER, agent_config_id: configs[0]!.id }]);
    const [row] = await db.sql<{ resolved: { config: { name: string; greeting: string } | null } }[]>`
      select public.resolve_agent_config(${DEMO_NUMBER}) as resolved`;
    expect(row!.resolved.config).toMatchObject({ name: DEMO_CONFIG_NAME, greeting: DEMO_GREETING });
  });

  it('changes nothing on a second run', async () => {
    await seedDemoData(db.url);
    const before = await demoRows();
    expect(await seedDemoData(db.url)).toEqual({ created: false, answeredNumber: DEMO_NUMBER, skipped: null });
    expect(await demoRows()).toEqual(before);
  });

  it("keeps the owner's edits: a changed greeting, a renamed config, an unassigned number", async () => {
    await seedDemoData(db.url);
    const { owners, configs } = await demoRows();
    const owner = userPersona(owners[0]!.id, DEMO_OWNER_EMAIL);
    await db.as(
      owner,
      (sql) =>
        sql`update public.agent_configs set greeting = 'Acme, how can I help?', name = 'Acme' where id = ${configs[0]!.id}`,
    );
    expect(await seedDemoData(db.url)).toMatchObject({ created: false, answeredNumber: DEMO_NUMBER });
    expect((await demoRows()).configs).toMatchObject([{ name: 'Acme', greeting: 'Acme, how can I help?', version: 2 }]);

    await db.as(
      owner,
      (sql) => sql`update public.phone_numbers set agent_config_id = null where e164 = ${DEMO_NUMBER}`,
    );
    expect(await seedDemoData(db.url)).toEqual({ created: false, answeredNumber: null, skipped: null });
    expect((await demoRows()).numbers).toMatchObject([{ e164: DEMO_NUMBER, agent_config_id: null }]);
    expect((await demoRows()).configs).toHaveLength(1);
  });

  it('comes back on the next start once the demo owner is deleted', async () => {
    await seedDemoData(db.url);
    await db.sql`delete from auth.users where email = ${DEMO_OWNER_EMAIL}`;
    expect(await seedDemoData(db.url)).toEqual({ created: true, answeredNumber: DEMO_NUMBER, skipped: null });
    expect((await demoRows()).configs).toHaveLength(1);
  });

  it('leaves the demo number alone when another owner already has it', async () => {
    const other = await db.createUser();
    await db.sql`insert into public.phone_numbers (e164, owner_id, label) values (${DEMO_NUMBER}, ${other.userId!}, 'Mine')`;
    expect(await seedDemoData(db.url)).toEqual({
      created: true,
      answeredNumber: null,
      skipped: `${DEMO_NUMBER} already belongs to another owner`,
    });
    const [number] = await db.sql<
      { owner_id: string; label: string }[]
    >`select owner_id, label from public.phone_numbers where e164 = ${DEMO_NUMBER}`;
    expect(number).toEqual({ owner_id: other.userId, label: 'Mine' });
  });

  it('gives up on an unreachable database within its deadline', async () => {
    const port = await freePort();
    const started = Date.now();
    await expect(
      seedDemoData(`postgresql://postgres:postgres@127.0.0.1:${port}/switchboard`, { timeoutMs: 1_000 }),
    ).rejects.toThrow();
    expect(Date.now() - started).toBeLessThan(5_000);
  });
});

describe('the start-up summary', () => {
  const created = { created: true, answeredNumber: DEMO_NUMBER, skipped: null };

  it('says how to call the demo number, with the OpenAI key it needs', () => {
    expect(demoSummary(created, {})).toEqual([
      `  demo       created ${DEMO_OWNER_EMAIL} with "${DEMO_CONFIG_NAME}" answering ${DEMO_NUMBER}`,
      `  try it     OPENAI_API_KEY=sk-... npm run call -- --to ${DEMO_NUMBER}`,
      '             (OPENAI_BASE_URL=http://host/v1 for any other Chat Completions server; Ctrl-D hangs up)',
    ]);
  });

  it('passes on a DEV_DB_PORT other than the default, and leaves out a key already set', () => {
    expect(demoSummary(created, { DEV_DB_PORT: '40123', OPENAI_API_KEY: 'sk-x' })).toContain(
      `  try it     DEV_DB_PORT=40123 npm run call -- --to ${DEMO_NUMBER}`,
    );
  });

  it('offers no call when the demo number no longer has a config', () => {
    const lines = demoSummary({ created: false, answeredNumber: null, skipped: null }, {});
    expect(lines).toEqual([`  demo       ${DEMO_OWNER_EMAIL} exists; its configs and numbers stay as they are`]);
  });
});
