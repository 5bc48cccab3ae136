// Schema-wide guarantees: RLS on every public table, no grant we did not mean, live tables in
// the Realtime publication, and a committed Database type that matches the migrations.
import { readFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateTypes, TYPES_FILE } from '../../scripts/db/gen_types.ts';
import { createTestDatabase, type TestDatabase } from '../../test/db/harness.ts';

let db: TestDatabase;

/** Notifications arrive asynchronously after commit: wait for them, up to a deadline. */
async function waitFor(condition: () => boolean, deadlineMs = 10_000): Promise<void> {
  const until = Date.now() + deadlineMs;
  while (!condition()) {
    if (Date.now() > until) throw new Error('timed out waiting for notifications');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

beforeAll(async () => {
  db = await createTestDatabase();
});
afterAll(() => db.close());

describe('schema', () => {
  it('enables RLS on every public table', async () => {
    const rows = await db.sql`select c.relname from pg_class c join pg_namespace n on n.oid = c.relnamespace
      where n.nspname = 'public' and c.relkind = 'r' and not c.relrowsecurity`;
    expect(rows.map((r) => r.relname)).toEqual([]);
  });

  it('gives anon read access to the voice catalog only', async () => {
    const rows = await db.sql`select table_name, privilege_type from information_schema.role_table_grants
      where grantee = 'anon' and table_schema = 'public' order by table_name, privilege_type`;
    expect(rows.map((r) => `${r.table_name}:${r.privilege_type}`)).toEqual(['voices:SELECT']);
  });

  it('lets authenticated users write only their configs, numbers, settings, message status and webhook endpoints', async () => {
    const rows = await db.sql`select distinct table_name from information_schema.role_table_grants
      where grantee = 'authenticated' and table_schema = 'public' and privilege_type in ('INSERT', 'UPDATE', 'DELETE') order by 1`;
    expect(rows.map((r) => r.table_name)).toEqual([
      'agent_configs',
      'owner_settings',
      'phone_numbers',
      'webhook_endpoints',
    ]);
    const columns = await db.sql`select table_name, column_name from information_schema.column_privileges
      where grantee = 'authenticated' and table_schema = 'public' and table_name in ('messages', 'owner_settings')
        and privilege_type = 'UPDATE' order by 1, 2`;
    expect(columns.map((r) => `${r.table_name}.${r.column_name}`)).toEqual([
      'messages.status',
      'owner_settings.transcript_retention_days',
    ]);
  });

  it('lets authenticated users update only agent_config_id and label on numbers; inserts are refused by RLS', async () => {
    const table = await db.sql`select privilege_type from information_schema.role_table_grants
      where grantee = 'authenticated' and table_schema = 'public' and table_name = 'phone_numbers' order by 1`;
    // INSERT stays granted only so the provisioning trigger can explain the refusal; no policy allows it.
    expect(table.map((r) => r.privilege_type)).toEqual(['INSERT', 'SELECT']);
    const columns = await db.sql`select column_name from information_schema.column_privileges
      where grantee = 'authenticated' and table_schema = 'public' and table_name = 'phone_numbers' and privilege_type = 'UPDATE' order by 1`;
    expect(columns.map((r) => r.column_name)).toEqual(['agent_config_id', 'label']);
    const policies =
      await db.sql`select cmd from pg_policies where schemaname = 'public' and tablename = 'phone_numbers' and 'authenticated' = any (roles) order by 1`;
    expect(policies.map((r) => r.cmd)).toEqual(['SELECT', 'UPDATE']);
  });

  it('publishes the live config tables to Realtime with full replica identity', async () => {
    const published =
      await db.sql`select tablename from pg_publication_tables where pubname = 'supabase_realtime' order by 1`;
    expect(published.map((r) => r.tablename)).toEqual(['agent_configs', 'phone_numbers', 'voices']);
    const identity =
      await db.sql`select relname, relreplident from pg_class where relname in ('agent_configs', 'phone_numbers', 'voices') order by 1`;
    expect(identity.map((r) => r.relreplident)).toEqual(['f', 'f', 'f']);
  });

  it('notifies listeners once per statement with ids and versions', async () => {
    const received: string[] = [];
    const listener = await db.sql.listen('switchboard_config_changed', (payload) => received.push(payload));
    const owner = await db.createUser();
    await db.sql`insert into public.agent_configs (owner_id, name) select ${owner.userId!}, 'bulk ' || g from generate_series(1, 3) g`;
    await db.sql`update public.agent_configs set greeting = 'hi' where owner_id = ${owner.userId!}`;
    const configPayloads = () => received.map((p) => JSON.parse(p)).filter((p) => p.table === 'agent_configs');
    await waitFor(() => configPayloads().length >= 2);
    await listener.unlisten();
    const payloads = configPayloads();
    expect(payloads.map((p) => p.op)).toEqual(['insert', 'update']);
    expect(payloads[0].rows).toHaveLength(3);
    expect(payloads[1].rows.filter((r: { version: number }) => r.version === 2)).toHaveLength(3);
  });

  it('sends {all: true} when a statement touches too many rows for one notification', async () => {
    const received: string[] = [];
    const listener = await db.sql.listen('switchboard_config_changed', (payload) => received.push(payload));
    const owner = await db.createUser();
    await db.sql`insert into public.agent_configs (owner_id, name) select ${owner.userId!}, 'bulk ' || g from generate_series(1, 500) g`;
    await waitFor(() => received.some((p) => p.includes('"all": true')));
    await listener.unlisten();
    expect(JSON.parse(received.at(-1)!)).toEqual({ table: 'agent_configs', op: 'insert', all: true });
  });

  it('stores typed numbers in E.164 and explains numbers it cannot read', async () => {
    const owner = await db.createUser();
    const [row] =
      await db.sql`insert into public.phone_numbers (e164, owner_id) values ('(555) 222-3333', ${owner.userId!}) returning e164`;
    expect(row!.e164).toBe('+15552223333');
    await expect(
      db.sql`insert into public.phone_numbers (e164, owner_id) values ('call me', ${owner.userId!})`,
    ).rejects.toMatchObject({
      message: expect.stringContaining("phone_numbers.e164 'call me' is not a phone number"),
      hint: expect.stringContaining('+15551234567'),
    });
    await expect(
      db.sql`insert into public.phone_numbers (e164, owner_id) values ('+1 555 222 3333', ${owner.userId!})`,
    ).rejects.toMatchObject({ code: '23505' });
  });

  it('refuses call rows that contradict themselves', async () => {
    await expect(
      db.sql`insert into public.calls (room_name, config_source, ended_at) values ('r', 'database', now())`,
    ).rejects.toMatchObject({ code: '23514' });
    await expect(
      db.sql`insert into public.calls (room_name, config_source, latency_p50_ms, latency_p90_ms) values ('r', 'database', 900, 400)`,
    ).rejects.toMatchObject({ code: '23514' });
    await expect(
      db.sql`insert into public.calls (room_name, config_source) values ('r', 'guess')`,
    ).rejects.toMatchObject({ code: '23514' });
  });
});

describe('shared/database.types.ts', () => {
  it('matches the migrated schema (run `npm run db:types` after changing a migration)', async () => {
    const committed = await readFile(TYPES_FILE, 'utf8');
    expect(await generateTypes(db.url)).toBe(committed);
  });
});
