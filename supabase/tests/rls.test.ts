// RLS persona matrix: owner, stranger, anon and service_role against every table and operation,
// acting exactly as PostgREST does (set local role + JWT claims). Reads are filtered silently,
// writes refused loudly.
import type postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createOwnedSetup, RACHEL, type OwnedSetup } from '../../test/db/fixtures.ts';
import { createTestDatabase, type TestDatabase } from '../../test/db/harness.ts';
import { anonPersona, serviceRolePersona, type Persona } from '../../test/db/personas.ts';

let db: TestDatabase;
let setup: OwnedSetup;
let stranger: Persona;
let callId: string;

beforeAll(async () => {
  db = await createTestDatabase();
  setup = await createOwnedSetup(db);
  stranger = await db.createUser('stranger@example.test');
  // an issue and a call for the owner, written the way the system writes them
  await db.sql`update public.agent_configs set system_prompt = '' where id = ${setup.configId}`;
  const [call] = await db.as(
    serviceRolePersona(),
    (sql) =>
      sql`insert into public.calls (room_name, owner_id, agent_config_id, config_source, caller_number, dialed_number)
        values ('call-1', ${setup.owner.userId!}, ${setup.configId}, 'database', '+15550001111', ${setup.e164}) returning id`,
  );
  callId = call!.id;
  await db.sql`insert into public.legacy_agent_config_imports (owner_id, name, raw_voice_id) values (${setup.owner.userId!}, 'Old', 'Kate')`;
});
afterAll(() => db.close());

const count = (persona: Persona, table: string) =>
  db.as(persona, async (sql) => (await sql.unsafe(`select count(*)::int as n from public.${table}`))[0]!.n as number);

const OWNER_READABLE = [
  'agent_configs',
  'phone_numbers',
  'config_issues',
  'config_changes',
  'calls',
  'legacy_agent_config_imports',
];

describe('reads', () => {
  it.each(OWNER_READABLE)('owner reads their own %s', async (table) => {
    expect(await count(setup.owner, table)).toBeGreaterThan(0);
  });
  it.each(OWNER_READABLE)("stranger sees none of the owner's %s, without an error", async (table) => {
    expect(await count(stranger, table)).toBe(0);
  });
  it.each(OWNER_READABLE)('anon is refused %s', async (table) => {
    await expect(count(anonPersona(), table)).rejects.toMatchObject({ code: '42501' });
  });
  it.each(OWNER_READABLE)('service_role reads all %s', async (table) => {
    expect(await count(serviceRolePersona(), table)).toBeGreaterThan(0);
  });
  it('everyone, anon included, reads the voice catalog', async () => {
    for (const persona of [setup.owner, stranger, anonPersona(), serviceRolePersona()]) {
      expect(await count(persona, 'voices')).toBe(7);
    }
  });
});

describe('agent_configs writes', () => {
  it('owner creates, updates and deletes their own config', async () => {
    const [row] = await db.as(
      setup.owner,
      (sql) => sql`insert into public.agent_configs (name) values ('Temp') returning id, owner_id`,
    );
    expect(row!.owner_id).toBe(setup.owner.userId);
    const updated = await db.as(
      setup.owner,
      (sql) => sql`update public.agent_configs set name = 'Temp 2' where id = ${row!.id} returning id`,
    );
    expect(updated).toHaveLength(1);
    const deleted = await db.as(
      setup.owner,
      (sql) => sql`delete from public.agent_configs where id = ${row!.id} returning id`,
    );
    expect(deleted).toHaveLength(1);
  });
  it("stranger cannot create a config in the owner's name", async () => {
    await expect(
      db.as(
        stranger,
        (sql) => sql`insert into public.agent_configs (owner_id, name) values (${setup.owner.userId!}, 'x')`,
      ),
    ).rejects.toThrow('new row violates row-level security policy');
  });
  it("stranger's update and delete of the owner's config touch nothing", async () => {
    expect(
      await db.as(
        stranger,
        (sql) => sql`update public.agent_configs set name = 'pwned' where id = ${setup.configId} returning id`,
      ),
    ).toHaveLength(0);
    expect(
      await db.as(stranger, (sql) => sql`delete from public.agent_configs where id = ${setup.configId} returning id`),
    ).toHaveLength(0);
    const [row] = await db.sql`select name from public.agent_configs where id = ${setup.configId}`;
    expect(row!.name).toBe('Front desk');
  });
  it('owner cannot give their config away', async () => {
    await expect(
      db.as(
        setup.owner,
        (sql) => sql`update public.agent_configs set owner_id = ${stranger.userId!} where id = ${setup.configId}`,
      ),
    ).rejects.toThrow('new row violates row-level security policy');
  });
  it('anon cannot write configs', async () => {
    await expect(
      db.as(
        anonPersona(),
        (sql) => sql`insert into public.agent_configs (name, owner_id) values ('x', ${setup.owner.userId!})`,
      ),
    ).rejects.toMatchObject({ code: '42501' });
  });
  it('service_role writes any config', async () => {
    const rows = await db.as(
      serviceRolePersona(),
      (sql) => sql`update public.agent_configs set greeting = 'Hello' where id = ${setup.configId} returning id`,
    );
    expect(rows).toHaveLength(1);
  });
});

describe('phone_numbers writes', () => {
  /** What a statement run as `persona` was refused with. */
  const refusal = (persona: Persona, statement: (sql: postgres.TransactionSql) => Promise<unknown>) =>
    db.as(persona, statement).then(
      () => {
        throw new Error('expected the statement to be refused');
      },
      (e: { code: string; message: string; hint?: string; detail?: string }) => e,
    );
  const errorText = (e: { message: string; hint?: string; detail?: string }) =>
    [e.message, e.hint ?? '', e.detail ?? ''].join(' ');

  it('owner points their number at their own config and labels it', async () => {
    const [mine] = await db.as(
      setup.owner,
      (sql) => sql`insert into public.agent_configs (name) values ('Evenings') returning id`,
    );
    const rows = await db.as(
      setup.owner,
      (sql) =>
        sql`update public.phone_numbers set agent_config_id = ${mine!.id}, label = 'After hours' where id = ${setup.numberId} returning id`,
    );
    expect(rows).toHaveLength(1);
    await db.as(
      setup.owner,
      (sql) =>
        sql`update public.phone_numbers set agent_config_id = ${setup.configId}, label = 'Main line' where id = ${setup.numberId}`,
    );
  });
  it("owner cannot point a number at a stranger's config, and the error says why", async () => {
    const [foreign] = await db.as(
      stranger,
      (sql) => sql`insert into public.agent_configs (name) values ('Theirs') returning id`,
    );
    await expect(
      db.as(
        setup.owner,
        (sql) => sql`update public.phone_numbers set agent_config_id = ${foreign!.id} where id = ${setup.numberId}`,
      ),
    ).rejects.toMatchObject({ message: expect.stringContaining('belongs to another owner') });
  });
  it('owner cannot add a number, free or taken, and is told who adds numbers', async () => {
    const free = await refusal(
      setup.owner,
      (sql) => sql`insert into public.phone_numbers (e164) values ('+15557770100')`,
    );
    const taken = await refusal(stranger, (sql) => sql`insert into public.phone_numbers (e164) values (${setup.e164})`);
    for (const e of [free, taken]) {
      expect(e.code).toBe('42501');
      expect(e.message).toBe(
        'Phone numbers cannot be added from an account: Switchboard adds a number to its owner when the number is provisioned.',
      );
      expect(e.hint).toContain('Ask the Switchboard operator to provision the number');
    }
    // the same refusal whether or not someone has the number, and in the owner's name too
    expect(errorText(taken)).toBe(errorText(free));
    const inOwnersName = await refusal(
      stranger,
      (sql) => sql`insert into public.phone_numbers (e164, owner_id) values ('+15557770000', ${setup.owner.userId!})`,
    );
    expect(errorText(inOwnersName)).toBe(errorText(free));
    expect(
      await db.sql`select 1 from public.phone_numbers where e164 in ('+15557770100', '+15557770000')`,
    ).toHaveLength(0);
  });
  it('owner cannot change the e164 or the owner of their own number', async () => {
    const statements = [
      (sql: postgres.TransactionSql) =>
        sql`update public.phone_numbers set e164 = '+15557770200' where id = ${setup.numberId}`,
      (sql: postgres.TransactionSql) =>
        sql`update public.phone_numbers set owner_id = ${stranger.userId!} where id = ${setup.numberId}`,
      (sql: postgres.TransactionSql) =>
        sql`update public.phone_numbers set owner_id = ${setup.owner.userId!} where id = ${setup.numberId}`,
    ];
    for (const statement of statements) {
      expect(await refusal(setup.owner, statement)).toMatchObject({
        code: '42501',
        message: 'permission denied for table phone_numbers',
      });
    }
    const [row] = await db.sql`select e164, owner_id from public.phone_numbers where id = ${setup.numberId}`;
    expect(row).toEqual({ e164: setup.e164, owner_id: setup.owner.userId });
  });
  it("owner cannot claim another owner's number by moving it, and learns nothing from trying", async () => {
    const claim = await refusal(
      stranger,
      (sql) => sql`update public.phone_numbers set owner_id = ${stranger.userId!} where e164 = ${setup.e164}`,
    );
    const claimNobodys = await refusal(
      stranger,
      (sql) => sql`update public.phone_numbers set owner_id = ${stranger.userId!} where e164 = '+15557770300'`,
    );
    expect(errorText(claim)).toBe(errorText(claimNobodys));
  });
  it('owner cannot release their number', async () => {
    expect(
      await refusal(setup.owner, (sql) => sql`delete from public.phone_numbers where id = ${setup.numberId}`),
    ).toMatchObject({ code: '42501', message: 'permission denied for table phone_numbers' });
  });
  it("another owner's number is invisible, and updating it touches 0 rows", async () => {
    expect(await db.as(stranger, (sql) => sql`select id from public.phone_numbers where e164 = ${setup.e164}`)).toEqual(
      [],
    );
    expect(
      await db.as(
        stranger,
        (sql) => sql`update public.phone_numbers set label = 'x' where id = ${setup.numberId} returning id`,
      ),
    ).toHaveLength(0);
    const [theirs] = await db.as(
      stranger,
      (sql) => sql`insert into public.agent_configs (name) values ('Mine') returning id`,
    );
    expect(
      await db.as(
        stranger,
        (sql) =>
          sql`update public.phone_numbers set agent_config_id = ${theirs!.id} where e164 = ${setup.e164} returning id`,
      ),
    ).toHaveLength(0);
    const [row] = await db.sql`select label, agent_config_id from public.phone_numbers where id = ${setup.numberId}`;
    expect(row).toEqual({ label: 'Main line', agent_config_id: setup.configId });
  });
  it("no refusal or issue an owner sees names another owner's number", async () => {
    // every way a stranger might touch the owner's number
    const attempts = [
      (sql: postgres.TransactionSql) => sql`insert into public.phone_numbers (e164) values (${setup.e164})`,
      (sql: postgres.TransactionSql) =>
        sql`insert into public.phone_numbers (e164, owner_id) values (${setup.e164}, ${setup.owner.userId!})`,
      (sql: postgres.TransactionSql) => sql`update public.phone_numbers set e164 = ${setup.e164}`,
      (sql: postgres.TransactionSql) => sql`delete from public.phone_numbers where e164 = ${setup.e164}`,
    ];
    for (const attempt of attempts) {
      expect(errorText(await refusal(stranger, attempt))).not.toContain(setup.e164.slice(2));
    }
    // a transfer to the owner's number is no loop for the stranger's agents: nothing is flagged
    await db.as(
      stranger,
      (sql) => sql`insert into public.agent_configs (name, transfer_number) values ('Transfers out', ${setup.e164})`,
    );
    const issues = await db.as(
      stranger,
      (sql) => sql<{ code: string; message: string }[]>`select code, message from public.config_issues`,
    );
    expect(issues.filter((i) => i.message.includes(setup.e164.slice(2)))).toEqual([]);
  });
  it('anon cannot write numbers', async () => {
    await expect(
      db.as(
        anonPersona(),
        (sql) => sql`insert into public.phone_numbers (e164, owner_id) values ('+15557770001', ${setup.owner.userId!})`,
      ),
    ).rejects.toMatchObject({ code: '42501' });
  });
  it('service_role provisions a number for an owner, who then reads it', async () => {
    const [row] = await db.as(
      serviceRolePersona(),
      (sql) =>
        sql`insert into public.phone_numbers (e164, owner_id, label) values ('+1 555 777 0400', ${stranger.userId!}, 'Provisioned') returning id, e164`,
    );
    expect(row!.e164).toBe('+15557770400');
    expect(await db.as(stranger, (sql) => sql`select label from public.phone_numbers where id = ${row!.id}`)).toEqual([
      { label: 'Provisioned' },
    ]);
    await db.as(serviceRolePersona(), (sql) => sql`delete from public.phone_numbers where id = ${row!.id}`);
  });
});

describe('system-written tables', () => {
  const writes: Array<[string, string]> = [
    ['voices', `insert into public.voices (voice_id, name) values ('ABCDEFGHIJKLMNOPQRST', 'Nova')`],
    ['voices', `update public.voices set name = 'Rachel2' where voice_id = '${RACHEL}'`],
    ['config_issues', `update public.config_issues set resolved_at = now()`],
    ['config_changes', `delete from public.config_changes`],
    ['calls', `update public.calls set turns = 99`],
    ['legacy_agent_config_imports', `update public.legacy_agent_config_imports set status = 'imported'`],
  ];
  it.each(writes)('owner cannot write %s directly (%s)', async (_table, statement) => {
    await expect(db.as(setup.owner, (sql) => sql.unsafe(statement))).rejects.toMatchObject({ code: '42501' });
  });
  it('service_role writes the catalog and calls', async () => {
    await db.as(serviceRolePersona(), (sql) => sql`update public.calls set turns = 3 where id = ${callId}`);
    const [row] = await db.sql`select turns from public.calls where id = ${callId}`;
    expect(row!.turns).toBe(3);
    await db.as(
      serviceRolePersona(),
      (sql) => sql`insert into public.voices (voice_id, name, enabled) values ('ABCDEFGHIJKLMNOPQRST', 'Nova', false)`,
    );
  });
});

describe('functions', () => {
  it('resolve_agent_config is for service_role only', async () => {
    for (const persona of [setup.owner, anonPersona()]) {
      await expect(
        db.as(persona, (sql) => sql`select public.resolve_agent_config(${setup.e164})`),
      ).rejects.toMatchObject({ code: '42501' });
    }
    const [row] = await db.as(
      serviceRolePersona(),
      (sql) => sql`select public.resolve_agent_config(${setup.e164}) as r`,
    );
    expect(row!.r.config.id).toBe(setup.configId);
  });
  it('report_voice_not_found and import_legacy_agent_configs are for service_role only', async () => {
    await expect(
      db.as(setup.owner, (sql) => sql`select public.report_voice_not_found(${setup.configId}, ${RACHEL}, 'test')`),
    ).rejects.toMatchObject({ code: '42501' });
    await expect(
      db.as(setup.owner, (sql) => sql`select * from public.import_legacy_agent_configs()`),
    ).rejects.toMatchObject({ code: '42501' });
  });
  it('the private schema is out of reach', async () => {
    await expect(db.as(setup.owner, (sql) => sql`select private.voice_id_format_problem('x')`)).rejects.toMatchObject({
      code: '42501',
    });
  });
});
