// Configs imported from the old system: voice values are repaired where a real ID can be
// found; the rest are kept and flagged, never lost or silently given the default voice.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { repairVoiceId } from '../../shared/voice_id.ts';
import { ADAM, RACHEL } from '../../test/db/fixtures.ts';
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
    const catalog = await db.sql<{ voice_id: string; name: string; enabled: boolean }[]>`select voice_id, name, enabled from public.voices`;
    expect(repairVoiceId(raw, catalog)).toBe(expected);
  });
});

describe('import_legacy_agent_configs', () => {
  it('imports what it can map and keeps and flags the rest', async () => {
    await db.sql`insert into public.legacy_agent_config_imports (owner_id, name, raw_voice_id, system_prompt, phone_number)
      values (${owner.userId!}, 'Dental', '11labs-Rachel', 'You answer for a dentist.', '(555) 300-1000'),
             (${owner.userId!}, 'Salon', 'adam', 'You answer for a salon.', null),
             (${owner.userId!}, 'Garage', '11labs-Kate', 'You answer for a garage.', '+1 555 300 2000')`;
    const [result] = await db.as(serviceRolePersona(), (sql) => sql`select * from public.import_legacy_agent_configs()`);
    expect(result).toEqual({ imported: 2, needs_attention: 1 });

    const configs = await db.sql`select name, voice_id from public.agent_configs where owner_id = ${owner.userId!} order by name`;
    expect(configs).toEqual([{ name: 'Dental', voice_id: RACHEL }, { name: 'Salon', voice_id: ADAM }]);
    const [number] = await db.sql`select e164, agent_config_id is not null as answered from public.phone_numbers where owner_id = ${owner.userId!}`;
    expect(number).toEqual({ e164: '+15553001000', answered: true });

    const [kept] = await db.sql`select id, status, raw_voice_id, problem, agent_config_id from public.legacy_agent_config_imports where name = 'Garage'`;
    expect(kept).toMatchObject({ status: 'needs_attention', raw_voice_id: '11labs-Kate', agent_config_id: null });
    expect(kept!.problem).toContain("'11labs-Kate'");
    const flagged = await db.as(owner, (sql) => sql`select code, message from public.config_issues where subject_id = ${kept!.id} and resolved_at is null`);
    expect(flagged).toHaveLength(1);
    expect(flagged[0]!.code).toBe('legacy_voice_unmapped');
    expect(flagged[0]!.message).toContain('Garage');

    // a second run changes nothing
    const [again] = await db.as(serviceRolePersona(), (sql) => sql`select * from public.import_legacy_agent_configs()`);
    expect(again).toEqual({ imported: 0, needs_attention: 1 });
    expect((await db.sql`select count(*)::int as n from public.agent_configs where owner_id = ${owner.userId!}`)[0]!.n).toBe(2);

    // once someone fixes the value, the next run imports it and resolves the issue
    await db.sql`update public.legacy_agent_config_imports set raw_voice_id = 'Sarah' where id = ${kept!.id}`;
    const [fixed] = await db.as(serviceRolePersona(), (sql) => sql`select * from public.import_legacy_agent_configs()`);
    expect(fixed).toEqual({ imported: 1, needs_attention: 0 });
    const open = await db.sql`select 1 from public.config_issues where subject_id = ${kept!.id} and resolved_at is null`;
    expect(open).toHaveLength(0);
  });
});
