// Every change to a config is versioned and audited: who changed which field from what to what.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADAM, createOwnedSetup, RACHEL, type OwnedSetup } from '../../test/db/fixtures.ts';
import { createTestDatabase, type TestDatabase } from '../../test/db/harness.ts';
import { serviceRolePersona, type Persona } from '../../test/db/personas.ts';

let db: TestDatabase;
let setup: OwnedSetup;
let stranger: Persona;

beforeAll(async () => {
  db = await createTestDatabase();
  setup = await createOwnedSetup(db);
  stranger = await db.createUser();
});
afterAll(() => db.close());

const version = async (id: string) =>
  (await db.sql`select version from public.agent_configs where id = ${id}`)[0]!.version as number;

describe('agent_configs.version', () => {
  it('starts at 1 and grows by one per real change, whatever the client sends', async () => {
    expect(await version(setup.configId)).toBe(1);
    await db.as(
      setup.owner,
      (sql) => sql`update public.agent_configs set greeting = 'Hi there' where id = ${setup.configId}`,
    );
    expect(await version(setup.configId)).toBe(2);
    await db.as(
      setup.owner,
      (sql) => sql`update public.agent_configs set version = 100, name = 'Desk' where id = ${setup.configId}`,
    );
    expect(await version(setup.configId)).toBe(3);
    // a no-op update is not a change
    await db.as(setup.owner, (sql) => sql`update public.agent_configs set name = 'Desk' where id = ${setup.configId}`);
    expect(await version(setup.configId)).toBe(3);
    const [inserted] = await db.as(
      setup.owner,
      (sql) => sql`insert into public.agent_configs (name, version) values ('x', 42) returning version`,
    );
    expect(inserted!.version).toBe(1);
  });
});

describe('config_changes', () => {
  it('records who changed which field from what to what', async () => {
    const [config] = await db.as(
      setup.owner,
      (sql) => sql`insert into public.agent_configs (name, voice_id) values ('Audited', ${RACHEL}) returning id`,
    );
    await db.as(
      setup.owner,
      (sql) =>
        sql`update public.agent_configs set voice_id = ${ADAM}, system_prompt = 'New prompt' where id = ${config!.id}`,
    );
    await db.as(
      serviceRolePersona(),
      (sql) => sql`update public.agent_configs set llm_model = 'gpt-4o' where id = ${config!.id}`,
    );
    const rows = await db.as(
      setup.owner,
      (sql) =>
        sql`select operation, field, old_value, new_value, version, changed_by, changed_by_role
            from public.config_changes where agent_config_id = ${config!.id} order by id`,
    );
    expect(rows[0]).toMatchObject({ operation: 'insert', field: null });
    expect(
      rows
        .slice(1)
        .map((r) => r.field)
        .sort(),
    ).toEqual(['llm_model', 'system_prompt', 'voice_id']);
    const voice = rows.find((r) => r.field === 'voice_id')!;
    expect(voice).toMatchObject({
      old_value: RACHEL,
      new_value: ADAM,
      version: 2,
      changed_by: setup.owner.userId,
      changed_by_role: 'authenticated',
    });
    const model = rows.find((r) => r.field === 'llm_model')!;
    expect(model).toMatchObject({
      old_value: 'gpt-4o-mini',
      new_value: 'gpt-4o',
      version: 3,
      changed_by: null,
      changed_by_role: 'service_role',
    });
    expect(rows.some((r) => r.field === 'updated_at' || r.field === 'version')).toBe(false);
  });

  it('keeps the history of a deleted config, readable by its owner only', async () => {
    const [config] = await db.as(
      setup.owner,
      (sql) => sql`insert into public.agent_configs (name) values ('Short-lived') returning id`,
    );
    await db.as(setup.owner, (sql) => sql`delete from public.agent_configs where id = ${config!.id}`);
    const own = await db.as(
      setup.owner,
      (sql) =>
        sql`select operation, old_value from public.config_changes where agent_config_id = ${config!.id} order by id`,
    );
    expect(own.map((r) => r.operation)).toEqual(['insert', 'delete']);
    expect(own[1]!.old_value.name).toBe('Short-lived');
    const theirs = await db.as(
      stranger,
      (sql) => sql`select 1 from public.config_changes where agent_config_id = ${config!.id}`,
    );
    expect(theirs).toHaveLength(0);
  });
});
