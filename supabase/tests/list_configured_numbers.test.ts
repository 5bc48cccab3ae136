// list_configured_numbers(limit): what a worker's job process preloads while it idles. Only numbers
// a config answers, the most recently updated (number or config) first, capped; service_role only.
import { beforeAll, afterAll, describe, expect, it } from 'vitest';
import { createOwnedSetup, type OwnedSetup, provisionNumber } from '../../test/db/fixtures.ts';
import { createTestDatabase, type TestDatabase } from '../../test/db/harness.ts';
import { anonPersona, type Persona, serviceRolePersona } from '../../test/db/personas.ts';

let db: TestDatabase;
let first: OwnedSetup;
let second: OwnedSetup;
let third: OwnedSetup;
let unassigned: string;

beforeAll(async () => {
  db = await createTestDatabase();
  first = await createOwnedSetup(db);
  second = await createOwnedSetup(db);
  third = await createOwnedSetup(db);
  // A number with no config answers nobody: nothing to preload.
  unassigned = '+15557770001';
  await provisionNumber(db, second.owner, unassigned, { label: 'Spare' });
});
afterAll(() => db.close());

const list = (limit: number | null, persona: Persona = serviceRolePersona()) =>
  db.as(
    persona,
    async (sql) =>
      (await sql<{ numbers: string[] }[]>`select public.list_configured_numbers(${limit}::integer) as numbers`)[0]!
        .numbers,
  );

describe('list_configured_numbers', () => {
  it('lists the numbers a config answers, the most recently updated first', async () => {
    expect(await list(10)).toEqual([third.e164, second.e164, first.e164]);
    await db.as(
      first.owner,
      (sql) => sql`update public.agent_configs set greeting = 'Updated' where id = ${first.configId}`,
    );
    expect(await list(10)).toEqual([first.e164, third.e164, second.e164]);
    await db.as(
      second.owner,
      (sql) => sql`update public.phone_numbers set label = 'Renamed' where id = ${second.numberId}`,
    );
    expect(await list(10)).toEqual([second.e164, first.e164, third.e164]);
    expect(await list(10)).not.toContain(unassigned);
  });

  it('stops at the limit', async () => {
    expect(await list(2)).toHaveLength(2);
    expect(await list(0)).toEqual([]);
  });

  it('refuses a missing or negative limit with a hint', async () => {
    await expect(list(-1)).rejects.toMatchObject({
      code: '22023',
      hint: expect.stringContaining('most numbers to list'),
    });
    await expect(list(null)).rejects.toMatchObject({ code: '22023' });
  });

  it('is for the worker only: owners and anon may not call it', async () => {
    await expect(list(10, first.owner)).rejects.toThrow('permission denied for function list_configured_numbers');
    await expect(list(10, anonPersona())).rejects.toThrow('permission denied for function list_configured_numbers');
  });
});
