// Configs imported from the old system: voice values are repaired where a real ID can be
// found; the rest are kept and flagged, never lost or silently given the default voice.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { repairVoiceId } from '../../shared/voice_id.ts';
import { ADAM, createOwnedSetup, RACHEL } from '../../test/db/fixtures.ts';
import { createTestDatabase, type TestDatabase } from '../../test/db/harness.ts';
import { serviceRolePersona, type Persona } from '../../test/db/personas.ts';

let db: TestDatabase;
let owner: Persona;

beforeAll(async () => {
  db = await createTestDatabase();
  owner = await db.createUser();
});
afterAll(() => db.close());

const REPAIRS: Array<[string, string | null]> = [
  [RACHEL, RACHEL],
  [`11labs-${RACHEL}`, RACHEL],
  ['11labs-Rachel', RACHEL],
  ['ElevenLabs:adam', ADAM],
  ['  Adam ', ADAM],
  [` ${RACHEL}`, RACHEL],
  [`\t${RACHEL}\n`, RACHEL],
  [`11labs- ${RACHEL} `, RACHEL],
  ['RACHEL', RACHEL],
  [RACHEL.toLowerCase(), RACHEL],
  ['11labs-Kate', null],
  ['Kate', null],
  ['', null],
];

describe('repair_voice_id', () => {
  it.each(REPAIRS)('maps %j to %j, as shared/voice_id.ts does', async (raw, expected) => {
    const [row] = await db.sql`select public.repair_voice_id(${raw}) as id`;
    expect(row!.id).toBe(expected);
    const catalog = await db.sql<
      { voice_id: string; name: string; enabled: boolean }[]
    >`select voice_id, name, enabled from public.voices`;
    expect(repairVoiceId(raw, catalog)).toBe(expected);
  });
});

describe('import_legacy_agent_configs', () => {
  it('imports what it can map and keeps and flags the rest', async () => {
    await db.sql`insert into public.legacy_agent_config_imports (owner_id, name, raw_voice_id, system_prompt, phone_number)
      values (${owner.userId!}, 'Dental', '11labs-Rachel', 'You answer for a dentist.', '(555) 300-1000'),
             (${owner.userId!}, 'Salon', 'adam', 'You answer for a salon.', null),
             (${owner.userId!}, 'Garage', '11labs-Kate', 'You answer for a garage.', '+1 555 300 2000')`;
    const [result] = await db.as(
      serviceRolePersona(),
      (sql) => sql`select * from public.import_legacy_agent_configs()`,
    );
    expect(result).toEqual({ imported: 2, needs_attention: 1 });

    const configs =
      await db.sql`select name, voice_id from public.agent_configs where owner_id = ${owner.userId!} order by name`;
    expect(configs).toEqual([
      { name: 'Dental', voice_id: RACHEL },
      { name: 'Salon', voice_id: ADAM },
    ]);
    const [number] =
      await db.sql`select e164, agent_config_id is not null as answered from public.phone_numbers where owner_id = ${owner.userId!}`;
    expect(number).toEqual({ e164: '+15553001000', answered: true });

    const [kept] =
      await db.sql`select id, status, raw_voice_id, problem, agent_config_id from public.legacy_agent_config_imports where name = 'Garage'`;
    expect(kept).toMatchObject({ status: 'needs_attention', raw_voice_id: '11labs-Kate', agent_config_id: null });
    expect(kept!.problem).toContain("'11labs-Kate'");
    const flagged = await db.as(
      owner,
      (sql) =>
        sql`select code, message from public.config_issues where subject_id = ${kept!.id} and resolved_at is null`,
    );
    expect(flagged).toHaveLength(1);
    expect(flagged[0]!.code).toBe('legacy_voice_unmapped');
    expect(flagged[0]!.message).toContain('Garage');

    // a second run changes nothing
    const [again] = await db.as(serviceRolePersona(), (sql) => sql`select * from public.import_legacy_agent_configs()`);
    expect(again).toEqual({ imported: 0, needs_attention: 1 });
    expect(
      (await db.sql`select count(*)::int as n from public.agent_configs where owner_id = ${owner.userId!}`)[0]!.n,
    ).toBe(2);

    // once someone fixes the value, the next run imports it and resolves the issue
    await db.sql`update public.legacy_agent_config_imports set raw_voice_id = 'Sarah' where id = ${kept!.id}`;
    const [fixed] = await db.as(serviceRolePersona(), (sql) => sql`select * from public.import_legacy_agent_configs()`);
    expect(fixed).toEqual({ imported: 1, needs_attention: 0 });
    const open =
      await db.sql`select 1 from public.config_issues where subject_id = ${kept!.id} and resolved_at is null`;
    expect(open).toHaveLength(0);
  });

  it('settles each row on its own: bad rows are kept with their reason, the others import', async () => {
    const other = await createOwnedSetup(db);
    const importer = await db.createUser();
    const JOSH = 'TxGEqnHWrfWFTfGW9XjX';
    await db.sql`update public.voices set enabled = false where voice_id = ${JOSH}`;
    const otherDigits = other.e164.slice(2);
    const rows = [
      ['Good', 'Rachel', 'You answer for a bakery.', '+1 555 310 0001'],
      ['Retired voice', '11labs-Josh', 'You answer for a florist.', null],
      ['   ', 'Adam', 'You answer for nobody in particular.', null],
      [
        "Someone else's line",
        'Adam',
        'You answer for a locksmith.',
        `(${otherDigits.slice(0, 3)}) ${otherDigits.slice(3, 6)}-${otherDigits.slice(6)}`,
      ],
      ['Bad number', 'Adam', 'You answer for a cafe.', 'call the front desk'],
      ['Long prompt', 'Adam', 'x'.repeat(20_001), null],
      ['Also good', 'Adam', 'You answer for a gym.', null],
    ] as const;
    for (const [name, voice, prompt, phone] of rows) {
      await db.sql`insert into public.legacy_agent_config_imports (owner_id, name, raw_voice_id, system_prompt, phone_number)
        values (${importer.userId!}, ${name}, ${voice}, ${prompt}, ${phone})`;
    }
    const [result] = await db.as(
      serviceRolePersona(),
      (sql) => sql`select * from public.import_legacy_agent_configs()`,
    );
    expect(result).toEqual({ imported: 2, needs_attention: 5 });

    const configs =
      await db.sql`select name from public.agent_configs where owner_id = ${importer.userId!} order by name`;
    expect(configs.map((c) => c.name)).toEqual(['Also good', 'Good']);
    const numbers = await db.sql`select e164 from public.phone_numbers where owner_id = ${importer.userId!}`;
    expect(numbers.map((n) => n.e164)).toEqual(['+15553100001']);
    // the other owner's number is untouched
    const [theirs] =
      await db.sql`select owner_id, agent_config_id from public.phone_numbers where e164 = ${other.e164}`;
    expect(theirs).toEqual({ owner_id: other.owner.userId, agent_config_id: other.configId });

    const kept = await db.as(
      importer,
      (sql) => sql<{ id: string; name: string; status: string; problem: string; agent_config_id: string | null }[]>`
      select id, name, status, problem, agent_config_id from public.legacy_agent_config_imports where status = 'needs_attention'`,
    );
    const byName = Object.fromEntries(kept.map((k) => [k.name, k]));
    expect(Object.keys(byName).sort()).toEqual([
      '   ',
      'Bad number',
      'Long prompt',
      'Retired voice',
      "Someone else's line",
    ]);
    expect(kept.every((k) => k.agent_config_id === null)).toBe(true);
    expect(byName['Retired voice']!.problem).toBe(
      `voice '11labs-Josh' maps to Josh (${JOSH}), which is disabled in public.voices`,
    );
    expect(byName['   ']!.problem).toBe("name '   ' is blank; a config name has 1 to 100 characters");
    expect(byName["Someone else's line"]!.problem).toBe(
      `phone number ${other.e164} cannot be assigned to this account`,
    );
    expect(byName['Bad number']!.problem).toBe("phone number 'call the front desk' cannot be written in E.164");
    expect(byName['Long prompt']!.problem).toContain('the database refused the row: ');
    expect(byName['Long prompt']!.problem).toContain('agent_configs_system_prompt_check');

    // each kept row has one open issue its owner can read, with the reason, and none names another owner
    const issues = await db.as(
      importer,
      (sql) => sql<{ subject_id: string; code: string; message: string }[]>`
      select subject_id, code, message from public.config_issues where subject_type = 'legacy_import' and resolved_at is null`,
    );
    const codeOf = (name: string) => issues.filter((i) => i.subject_id === byName[name]!.id).map((i) => i.code);
    expect(codeOf('Retired voice')).toEqual(['legacy_voice_disabled']);
    expect(codeOf('   ')).toEqual(['legacy_name_invalid']);
    expect(codeOf("Someone else's line")).toEqual(['legacy_number_unavailable']);
    expect(codeOf('Bad number')).toEqual(['legacy_number_invalid']);
    expect(codeOf('Long prompt')).toEqual(['legacy_import_failed']);
    for (const text of [...issues.map((i) => i.message), ...kept.map((k) => k.problem)]) {
      expect(text).not.toMatch(/another owner|belongs to/);
      expect(text).not.toContain(other.owner.userId!);
    }

    // fixing a row imports it on the next run and resolves its issue; the rest stay as they were
    await db.sql`update public.legacy_agent_config_imports set raw_voice_id = 'Sarah' where id = ${byName['Retired voice']!.id}`;
    await db.sql`update public.legacy_agent_config_imports set phone_number = null where id = ${byName["Someone else's line"]!.id}`;
    const [again] = await db.as(serviceRolePersona(), (sql) => sql`select * from public.import_legacy_agent_configs()`);
    expect(again).toEqual({ imported: 2, needs_attention: 3 });
    const open = await db.sql`select subject_id from public.config_issues
      where subject_id in ${db.sql([byName['Retired voice']!.id, byName["Someone else's line"]!.id])} and resolved_at is null`;
    expect(open).toEqual([]);
    await db.sql`update public.voices set enabled = true where voice_id = ${JOSH}`;
  });

  it("points the owner's own unanswered number at the imported config", async () => {
    const importer = await db.createUser();
    await db.as(
      serviceRolePersona(),
      (sql) => sql`insert into public.phone_numbers (e164, owner_id) values ('+15553200001', ${importer.userId!})`,
    );
    await db.sql`insert into public.legacy_agent_config_imports (owner_id, name, raw_voice_id, phone_number)
      values (${importer.userId!}, 'Reception', 'Rachel', '555-320-0001')`;
    const [result] = await db.as(
      serviceRolePersona(),
      (sql) => sql`select * from public.import_legacy_agent_configs()`,
    );
    expect(result!.imported).toBe(1); // the rows the previous test left needing attention are still counted
    const [row] = await db.sql`select p.agent_config_id = i.agent_config_id as answered from public.phone_numbers p
      join public.legacy_agent_config_imports i on i.owner_id = p.owner_id where p.e164 = '+15553200001'`;
    expect(row!.answered).toBe(true);
  });
});
