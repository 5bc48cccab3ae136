// agent_configs.transfer_number is stored in E.164, whatever way a person typed it, and a value
// that cannot be a phone number is refused with a message that says what to write instead.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../../test/db/harness.ts';
import { provisionNumber } from '../../test/db/fixtures.ts';
import type { Persona } from '../../test/db/personas.ts';

let db: TestDatabase;
let owner: Persona;

beforeAll(async () => {
  db = await createTestDatabase();
  owner = await db.createUser('owner@example.test');
});
afterAll(() => db.close());

const insertConfig = (transferNumber: string | null) =>
  db.as(
    owner,
    (sql) => sql<{ id: string; transfer_number: string | null }[]>`
    insert into public.agent_configs (name, transfer_number) values ('Front desk', ${transferNumber})
    returning id, transfer_number`,
  );

describe('agent_configs.transfer_number', () => {
  const typed: Array<[string, string]> = [
    ['+1 (415) 555-0100', '+14155550100'],
    ['(415) 555-0100', '+14155550100'],
    ['415.555.0100', '+14155550100'],
    ['1-415-555-0100', '+14155550100'],
    ['tel:+44 20 7946 0958', '+442079460958'],
    ['0044 20 7946 0958', '+442079460958'],
    ['  +14155550100  ', '+14155550100'],
    ['+14155550100', '+14155550100'],
  ];
  for (const [value, e164] of typed) {
    it(`stores ${JSON.stringify(value)} as ${e164}`, async () => {
      const [row] = await insertConfig(value);
      expect(row!.transfer_number).toBe(e164);
    });
  }

  it('normalizes on update too, and an update to the same number in another format is no change', async () => {
    const [row] = await insertConfig('+14155550100');
    const [updated] = await db.as(
      owner,
      (sql) => sql<{ transfer_number: string; version: number }[]>`
      update public.agent_configs set transfer_number = '+1 (415) 555-0100' where id = ${row!.id}
      returning transfer_number, version`,
    );
    expect(updated).toEqual({ transfer_number: '+14155550100', version: 1 });
  });

  it('treats null and a blank field as "no transfers"', async () => {
    expect((await insertConfig(null))[0]!.transfer_number).toBeNull();
    expect((await insertConfig('   '))[0]!.transfer_number).toBeNull();
  });

  const bad = ['555-0100', 'call Bob', '+0 415 555 0100', '+1 415 555 0100 0100 0100', 'sip:reception@example.com'];
  for (const value of bad) {
    it(`refuses ${JSON.stringify(value)}, naming the column, the value and the expected form`, async () => {
      const error = await insertConfig(value).then(
        () => null,
        (e: unknown) =>
          e as { message: string; hint: string; code: string; column_name: string; constraint_name: string },
      );
      expect(error).not.toBeNull();
      expect(error!.message).toBe(
        `agent_configs.transfer_number '${value}' is not a phone number that can be written in E.164.`,
      );
      expect(error!.hint).toMatch(/international form with the country code, e\.g\. \+14155550100/);
      expect(error!.code).toBe('23514');
      expect(error!.column_name).toBe('transfer_number');
      expect(error!.constraint_name).toBe('agent_configs_transfer_number_check');
    });
  }

  it("flags a formatted transfer number that is one of the owner's own numbers", async () => {
    const [config] = await insertConfig(null);
    await provisionNumber(db, owner, '+14155550199', { agentConfigId: config!.id });
    await db.as(
      owner,
      (sql) => sql`update public.agent_configs set transfer_number = '(415) 555-0199' where id = ${config!.id}`,
    );
    const issues = await db.as(
      owner,
      (sql) => sql<{ code: string }[]>`
      select code from public.config_issues where subject_id = ${config!.id}::text and resolved_at is null`,
    );
    expect(issues.map((i) => i.code)).toContain('transfer_to_own_number');
  });
});
