// resolve_agent_config(dialed_number): one round trip gives the worker everything for a call,
// whatever form the number arrives in.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolvedAgentConfigSchema } from '../../shared/agent_config.ts';
import { toE164 } from '../../shared/phone.ts';
import { createOwnedSetup, nextNumber, provisionNumber, RACHEL, type OwnedSetup } from '../../test/db/fixtures.ts';
import { createTestDatabase, type TestDatabase } from '../../test/db/harness.ts';
import { serviceRolePersona } from '../../test/db/personas.ts';

let db: TestDatabase;
let setup: OwnedSetup;

beforeAll(async () => {
  db = await createTestDatabase();
  setup = await createOwnedSetup(db, { e164: '+15551234567' });
});
afterAll(() => db.close());

const resolve = async (dialed: string) => {
  const [row] = await db.as(serviceRolePersona(), (sql) => sql`select public.resolve_agent_config(${dialed}) as r`);
  return resolvedAgentConfigSchema.parse(row!.r);
};

/** The query resolve_agent_config() ran before 20261207000200 (four subqueries over two CTEs). */
const previousAnswer = async (dialed: string | null) =>
  (
    await db.sql<{ r: unknown }[]>`
      with dialed as (select public.normalize_e164(${dialed}::text) as e164),
      number as (
        select p.id, p.e164, p.label, p.owner_id, p.agent_config_id from public.phone_numbers p, dialed d where p.e164 = d.e164
      ),
      config as (
        select c.* from public.agent_configs c join number n on n.agent_config_id = c.id and c.owner_id = n.owner_id
      )
      select jsonb_build_object(
        'dialed_number', (select e164 from dialed),
        'phone_number', (select jsonb_build_object('id', n.id, 'e164', n.e164, 'label', n.label, 'owner_id', n.owner_id) from number n),
        'config', (select to_jsonb(c) from config c),
        'voice', (select to_jsonb(v) from public.voices v join config c on c.voice_id = v.voice_id),
        'default_voice', (select to_jsonb(v) from public.voices v where v.is_default and v.enabled limit 1)
      ) as r`
  )[0]!.r;

describe('resolve_agent_config', () => {
  it.each([
    '+15551234567',
    '(555) 123-4567',
    '+1 555 123 4567',
    '1-555-123-4567',
    '555.123.4567',
    'tel:+15551234567',
    ' +1 (555) 123-4567 ',
  ])("resolves %j to the owner's config, voice and default voice", async (dialed) => {
    const result = await resolve(dialed);
    expect(result.dialed_number).toBe('+15551234567');
    expect(result.phone_number).toMatchObject({
      id: setup.numberId,
      e164: '+15551234567',
      owner_id: setup.owner.userId,
    });
    expect(result.config).toMatchObject({
      id: setup.configId,
      owner_id: setup.owner.userId,
      voice_id: RACHEL,
      version: 1,
      greeting: 'Thanks for calling Acme.',
    });
    expect(result.voice).toMatchObject({ voice_id: RACHEL, name: 'Rachel', enabled: true });
    expect(result.default_voice).toMatchObject({ voice_id: RACHEL, is_default: true });
    expect(toE164(dialed)).toBe('+15551234567');
  });

  it("reads the real tables whatever the caller's search_path and temp tables say", async () => {
    const [row] = await db.as(serviceRolePersona(), async (sql) => {
      await sql`create temp table phone_numbers (id uuid, e164 text, label text, owner_id uuid, agent_config_id uuid)`;
      await sql`insert into pg_temp.phone_numbers values (gen_random_uuid(), '+15551234567', 'decoy', gen_random_uuid(), null)`;
      await sql`set local search_path = pg_temp, public`;
      // twice: the second call runs the plan the session cached
      await sql`select public.resolve_agent_config('+15551234567')`;
      return sql`select public.resolve_agent_config('+15551234567') as r`;
    });
    const result = resolvedAgentConfigSchema.parse(row!.r);
    expect(result.phone_number).toMatchObject({ id: setup.numberId, label: expect.not.stringContaining('decoy') });
    expect(result.config?.id).toBe(setup.configId);
  });

  it('answers an unknown number with no config but the default voice', async () => {
    const result = await resolve('+15550000000');
    expect(result).toMatchObject({ dialed_number: '+15550000000', phone_number: null, config: null, voice: null });
    expect(result.default_voice?.voice_id).toBe(RACHEL);
  });

  it('answers a number with no config with the number but no config', async () => {
    await provisionNumber(db, setup.owner, '+15557654321');
    const result = await resolve('555-765-4321');
    expect(result.phone_number?.e164).toBe('+15557654321');
    expect(result.config).toBeNull();
  });

  it('answers garbage with a null dialed number instead of an error', async () => {
    const result = await resolve('not a number');
    expect(result).toMatchObject({ dialed_number: null, config: null });
    expect(toE164('not a number')).toBeNull();
  });

  it('returns the current version after a change', async () => {
    await db.sql`update public.agent_configs set system_prompt = 'Updated' where id = ${setup.configId}`;
    const result = await resolve('+15551234567');
    expect(result.config).toMatchObject({ version: 2, system_prompt: 'Updated' });
  });
  it('answers exactly what its previous, four-subquery form answered, for every kind of number', async () => {
    // A number whose config was given to another owner, and a number with no config.
    const other = await createOwnedSetup(db);
    const stranger = await db.createUser();
    await db.sql`update public.agent_configs set owner_id = ${stranger.userId!} where id = ${other.configId}`;
    const spare = nextNumber();
    await provisionNumber(db, setup.owner, spare);
    for (const dialed of [
      '+15551234567', // E.164: used as it is
      ' +15551234567', // not quite: normalized
      '(555) 123-4567',
      'tel:+15551234567',
      other.e164,
      spare,
      '+15550000000', // unknown
      '+0551234567', // starts with +0: no E.164 number
      'garbage',
      '',
    ]) {
      const [row] = await db.as(
        serviceRolePersona(),
        (sql) => sql<{ r: unknown }[]>`select public.resolve_agent_config(${dialed}) as r`,
      );
      expect(row!.r, dialed).toEqual(await previousAnswer(dialed));
    }
  });
});

describe('normalize_e164 agrees with shared/phone.ts', () => {
  const inputs = [
    '+442071838750',
    '0044 20 7183 8750',
    '+1 (212) 555-0100',
    '2125550100',
    '12125550100',
    '555-0100',
    '+0123',
    'abc',
    '',
    'sip:+15551234567@sip.example.com',
  ];
  it.each(inputs)('%j', async (raw) => {
    const [row] = await db.sql`select public.normalize_e164(${raw}) as e164`;
    expect(toE164(raw)).toBe(row!.e164);
  });
});
