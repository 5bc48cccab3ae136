// list_configured_numbers(limit): what a worker's job process preloads while it idles. Only numbers
// a config answers, the most recently updated (number or config) first, capped; service_role only.
// The list reads private.configured_numbers, which triggers keep (migration 20261207000000): the
// tests below change numbers and configs every way they can change and compare the list with the
// join it stands for.
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

/** What the list must equal: the join and order the function ran before it had its own index. */
const reference = async (limit: number) =>
  (
    await db.sql<{ numbers: string[] }[]>`select array(
      select p.e164 from public.phone_numbers p
        join public.agent_configs c on c.id = p.agent_config_id and c.owner_id = p.owner_id
       order by greatest(p.updated_at, c.updated_at) desc, p.e164 limit ${limit}::integer) as numbers`
  )[0]!.numbers;

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

  it('follows a number moved to another config, unassigned, renumbered or deleted', async () => {
    const [spareConfig] = await db.as(
      second.owner,
      (sql) => sql<{ id: string }[]>`insert into public.agent_configs (name) values ('Spare desk') returning id`,
    );
    // Answered at last: the spare number is now the most recent.
    await db.as(
      second.owner,
      (sql) => sql`update public.phone_numbers set agent_config_id = ${spareConfig!.id} where e164 = ${unassigned}`,
    );
    expect((await list(10))[0]).toBe(unassigned);
    // Moved back to no config: gone from the list.
    await db.as(
      second.owner,
      (sql) => sql`update public.phone_numbers set agent_config_id = null where e164 = ${unassigned}`,
    );
    expect(await list(10)).not.toContain(unassigned);
    // Moved to the owner's other config: first again.
    await db.as(
      second.owner,
      (sql) => sql`update public.phone_numbers set agent_config_id = ${spareConfig!.id} where id = ${second.numberId}`,
    );
    expect((await list(10))[0]).toBe(second.e164);
    // Renumbered by provisioning: the new number replaces the old one.
    const renumbered = '+15557770002';
    await db.as(
      serviceRolePersona(),
      (sql) => sql`update public.phone_numbers set e164 = ${renumbered} where id = ${second.numberId}`,
    );
    expect(await list(10)).toContain(renumbered);
    expect(await list(10)).not.toContain(second.e164);
    expect(await list(10)).toEqual(await reference(10));
    // Released: gone.
    await db.as(serviceRolePersona(), (sql) => sql`delete from public.phone_numbers where id = ${second.numberId}`);
    expect(await list(10)).not.toContain(renumbered);
    expect(await list(10)).toEqual(await reference(10));
  });

  it('follows a config deleted, or given to another owner and back', async () => {
    const owner = await createOwnedSetup(db);
    expect((await list(10))[0]).toBe(owner.e164);
    // The config changes hands: the number's owner has no config answering it any more.
    const newOwner = await db.createUser();
    await db.as(
      serviceRolePersona(),
      (sql) => sql`update public.agent_configs set owner_id = ${newOwner.userId!} where id = ${owner.configId}`,
    );
    expect(await list(10)).not.toContain(owner.e164);
    await db.as(
      serviceRolePersona(),
      (sql) => sql`update public.agent_configs set owner_id = ${owner.owner.userId!} where id = ${owner.configId}`,
    );
    expect((await list(10))[0]).toBe(owner.e164);
    // A change that changes nothing keeps the order (updated_at does not move).
    const before = await list(10);
    await db.as(owner.owner, (sql) => sql`update public.agent_configs set name = name where id = ${first.configId}`);
    expect(await list(10)).toEqual(before);
    // The config is deleted: its number is unassigned (on delete set null), so it leaves the list.
    await db.as(owner.owner, (sql) => sql`delete from public.agent_configs where id = ${owner.configId}`);
    expect(await list(10)).not.toContain(owner.e164);
    expect(await list(10)).toEqual(await reference(10));
  });

  it('is the same list as the join it stands for, after many changes in one statement', async () => {
    const owners = await Promise.all(Array.from({ length: 5 }, () => createOwnedSetup(db)));
    await db.sql`update public.agent_configs set greeting = 'Bulk ' || id where id in ${db.sql(owners.slice(0, 3).map((o) => o.configId))}`;
    await db.sql`update public.phone_numbers set label = 'Bulk' where id in ${db.sql(owners.slice(2).map((o) => o.numberId))}`;
    expect(await list(100)).toEqual(await reference(100));
    expect(await list(3)).toEqual(await reference(3));
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
