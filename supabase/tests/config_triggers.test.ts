// The agent_configs triggers (migration 20261207000100): one trigger per timing and event, since
// each trigger call has a fixed price that single-row writes (the owner's save path) paid six
// times per insert. What the merged triggers do is covered by the tests of each part
// (config_changes, config_issues, transfer_number, voice_ids, list_configured_numbers, schema);
// these cover the structure and the cases the merge decides differently from column lists.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADAM, createOwnedSetup, type OwnedSetup, SARAH } from '../../test/db/fixtures.ts';
import { createTestDatabase, type TestDatabase } from '../../test/db/harness.ts';

let db: TestDatabase;
let setup: OwnedSetup;

beforeAll(async () => {
  db = await createTestDatabase();
  setup = await createOwnedSetup(db);
});
afterAll(() => db.close());

const config = async () =>
  (
    await db.sql<
      { version: number; voice_id: string; transfer_number: string | null }[]
    >`select version, voice_id, transfer_number from public.agent_configs where id = ${setup.configId}`
  )[0]!;

describe('agent_configs triggers', () => {
  it('fires one trigger per timing and event: a single-row insert runs two, not six', async () => {
    const triggers = await db.sql<{ tgname: string; timing: string; level: string; events: string[] }[]>`
      select t.tgname,
             case when t.tgtype & 2 <> 0 then 'before' else 'after' end as timing,
             case when t.tgtype & 1 <> 0 then 'row' else 'statement' end as level,
             array_remove(array[case when t.tgtype & 4 <> 0 then 'insert' end,
                                case when t.tgtype & 8 <> 0 then 'delete' end,
                                case when t.tgtype & 16 <> 0 then 'update' end], null) as events
        from pg_trigger t
       where t.tgrelid = 'public.agent_configs'::regclass and not t.tgisinternal
       order by t.tgname`;
    expect(triggers).toEqual([
      { tgname: 'agent_configs_after_delete', timing: 'after', level: 'statement', events: ['delete'] },
      { tgname: 'agent_configs_after_insert', timing: 'after', level: 'statement', events: ['insert'] },
      { tgname: 'agent_configs_after_update', timing: 'after', level: 'statement', events: ['update'] },
      { tgname: 'agent_configs_before_write', timing: 'before', level: 'row', events: ['insert', 'update'] },
    ]);
  });

  it('lets a config whose voice was disabled be edited without picking another voice', async () => {
    await db.as(
      setup.owner,
      (sql) => sql`update public.agent_configs set voice_id = ${SARAH} where id = ${setup.configId}`,
    );
    await db.sql`update public.voices set enabled = false where voice_id = ${SARAH}`;
    try {
      const before = await config();
      // voice_id unchanged (even written back as itself): not checked again, the edit goes through.
      await db.as(
        setup.owner,
        (sql) =>
          sql`update public.agent_configs set greeting = 'Hello', voice_id = ${SARAH} where id = ${setup.configId}`,
      );
      expect(await config()).toMatchObject({ version: before.version + 1, voice_id: SARAH });
      // A change to a disabled voice is still refused.
      await db.as(
        setup.owner,
        (sql) => sql`update public.agent_configs set voice_id = ${ADAM} where id = ${setup.configId}`,
      );
      await db.sql`update public.voices set enabled = false where voice_id = ${ADAM}`;
      await expect(
        db.as(
          setup.owner,
          (sql) => sql`update public.agent_configs set voice_id = ${SARAH} where id = ${setup.configId}`,
        ),
      ).rejects.toMatchObject({ code: '23514' });
    } finally {
      await db.sql`update public.voices set enabled = true where voice_id in (${SARAH}, ${ADAM})`;
    }
  });

  it('normalizes a changed transfer number and leaves an unchanged one as stored', async () => {
    await db.as(
      setup.owner,
      (sql) => sql`update public.agent_configs set transfer_number = '(415) 555-0100' where id = ${setup.configId}`,
    );
    const set = await config();
    expect(set.transfer_number).toBe('+14155550100');
    await db.as(
      setup.owner,
      (sql) =>
        sql`update public.agent_configs set transfer_number = transfer_number, name = name where id = ${setup.configId}`,
    );
    expect(await config()).toEqual(set);
    await db.as(
      setup.owner,
      (sql) => sql`update public.agent_configs set transfer_number = '  ' where id = ${setup.configId}`,
    );
    expect(await config()).toMatchObject({ transfer_number: null, version: set.version + 1 });
  });
});
