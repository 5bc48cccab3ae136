// Triggers flag bad configuration in config_issues, one open row per (subject, code), and
// resolve it when the cause is fixed.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ADAM,
  createOwnedSetup,
  nextNumber,
  provisionNumber,
  RACHEL,
  SARAH,
  type OwnedSetup,
} from '../../test/db/fixtures.ts';
import { createTestDatabase, type TestDatabase } from '../../test/db/harness.ts';
import { serviceRolePersona } from '../../test/db/personas.ts';

let db: TestDatabase;
let setup: OwnedSetup;

beforeAll(async () => {
  db = await createTestDatabase();
  setup = await createOwnedSetup(db);
});
afterAll(() => db.close());

interface IssueRow {
  code: string;
  subject_id: string;
  resolved_at: Date | null;
  message: string;
  owner_id: string;
}
const issues = (subjectId: string) =>
  db.sql<
    IssueRow[]
  >`select code, subject_id, resolved_at, message, owner_id from public.config_issues where subject_id = ${subjectId} order by opened_at`;
const openCodes = async (subjectId: string) =>
  (await issues(subjectId))
    .filter((i) => !i.resolved_at)
    .map((i) => i.code)
    .sort();

describe('config_issues', () => {
  it('a healthy setup has no open issues', async () => {
    expect(await openCodes(setup.configId)).toEqual([]);
    expect(await openCodes(setup.numberId)).toEqual([]);
  });

  it('flags every config using a voice the catalog disabled, and clears it when re-enabled', async () => {
    const other = await createOwnedSetup(db);
    await db.as(
      other.owner,
      (sql) => sql`update public.agent_configs set voice_id = ${SARAH} where id = ${other.configId}`,
    );
    await db.as(
      setup.owner,
      (sql) => sql`update public.agent_configs set voice_id = ${SARAH} where id = ${setup.configId}`,
    );
    await db.sql`update public.voices set enabled = false where voice_id = ${SARAH}`;
    expect(await openCodes(setup.configId)).toEqual(['voice_disabled']);
    expect(await openCodes(other.configId)).toEqual(['voice_disabled']);
    const [issue] = await issues(setup.configId);
    expect(issue!.message).toContain('Sarah');
    expect(issue!.owner_id).toBe(setup.owner.userId);
    // the owner sees their own issue through RLS
    const visible = await db.as(
      setup.owner,
      (sql) => sql`select code from public.config_issues where resolved_at is null`,
    );
    expect(visible.map((r) => r.code)).toEqual(['voice_disabled']);
    // fixed by picking another voice
    await db.as(
      setup.owner,
      (sql) => sql`update public.agent_configs set voice_id = ${RACHEL} where id = ${setup.configId}`,
    );
    expect(await openCodes(setup.configId)).toEqual([]);
    // fixed by re-enabling the voice
    await db.sql`update public.voices set enabled = true where voice_id = ${SARAH}`;
    expect(await openCodes(other.configId)).toEqual([]);
  });

  it('keeps one open row per (subject, code) however often the cause repeats', async () => {
    await db.sql`update public.agent_configs set voice_id = ${ADAM} where id = ${setup.configId}`;
    await db.sql`update public.voices set enabled = false where voice_id = ${ADAM}`;
    await db.sql`update public.agent_configs set name = 'Renamed' where id = ${setup.configId}`;
    await db.sql`update public.agent_configs set name = 'Renamed again' where id = ${setup.configId}`;
    const open = (await issues(setup.configId)).filter((i) => !i.resolved_at && i.code === 'voice_disabled');
    expect(open).toHaveLength(1);
    await db.sql`update public.agent_configs set voice_id = ${RACHEL} where id = ${setup.configId}`;
    await db.sql`update public.voices set enabled = true where voice_id = ${ADAM}`;
    expect(await openCodes(setup.configId)).toEqual([]);
  });

  it('flags a number nobody answers, including when its config is deleted', async () => {
    const numberId = await provisionNumber(db, setup.owner, '+15559990001');
    expect(await openCodes(numberId)).toEqual(['number_without_config']);
    await db.as(
      setup.owner,
      (sql) => sql`update public.phone_numbers set agent_config_id = ${setup.configId} where id = ${numberId}`,
    );
    expect(await openCodes(numberId)).toEqual([]);
    const [temp] = await db.as(
      setup.owner,
      (sql) => sql`insert into public.agent_configs (name) values ('Temp') returning id`,
    );
    await db.as(
      setup.owner,
      (sql) => sql`update public.phone_numbers set agent_config_id = ${temp!.id} where id = ${numberId}`,
    );
    await db.as(setup.owner, (sql) => sql`delete from public.agent_configs where id = ${temp!.id}`);
    expect(await openCodes(numberId)).toEqual(['number_without_config']);
    await db.as(serviceRolePersona(), (sql) => sql`delete from public.phone_numbers where id = ${numberId}`);
    expect(await openCodes(numberId)).toEqual([]);
  });

  it('flags an owner mismatch when a config changes hands, and clears it when the number follows', async () => {
    const other = await createOwnedSetup(db);
    const newOwner = await db.createUser();
    await db.as(
      serviceRolePersona(),
      (sql) => sql`update public.agent_configs set owner_id = ${newOwner.userId!} where id = ${other.configId}`,
    );
    expect(await openCodes(other.numberId)).toEqual(['number_owner_mismatch']);
    await db.as(
      serviceRolePersona(),
      (sql) => sql`update public.phone_numbers set owner_id = ${newOwner.userId!} where id = ${other.numberId}`,
    );
    expect(await openCodes(other.numberId)).toEqual([]);
  });

  it('warns about an empty prompt', async () => {
    await db.sql`update public.agent_configs set system_prompt = '  ' where id = ${setup.configId}`;
    expect(await openCodes(setup.configId)).toEqual(['prompt_empty']);
    await db.sql`update public.agent_configs set system_prompt = 'You answer for Acme.' where id = ${setup.configId}`;
    expect(await openCodes(setup.configId)).toEqual([]);
  });

  it("flags a transfer number that is one of the owner's own numbers (a loop)", async () => {
    await db.as(
      setup.owner,
      (sql) => sql`update public.agent_configs set transfer_number = ${setup.e164} where id = ${setup.configId}`,
    );
    expect(await openCodes(setup.configId)).toEqual(['transfer_to_own_number']);
    const [issue] = await db.as(
      setup.owner,
      (sql) => sql<{ message: string }[]>`
      select message from public.config_issues where subject_id = ${setup.configId}::text and resolved_at is null`,
    );
    expect(issue!.message).toContain('one of your own Switchboard numbers');
    await db.as(
      setup.owner,
      (sql) => sql`update public.agent_configs set transfer_number = '+15551110000' where id = ${setup.configId}`,
    );
    expect(await openCodes(setup.configId)).toEqual([]);
  });

  it("says nothing about a transfer to another owner's number, which is not this owner's loop", async () => {
    const other = await createOwnedSetup(db);
    await db.as(
      setup.owner,
      (sql) => sql`update public.agent_configs set transfer_number = ${other.e164} where id = ${setup.configId}`,
    );
    expect(await openCodes(setup.configId)).toEqual([]);
    // nor when the number is provisioned after the transfer was set, or moves to another owner
    const later = nextNumber();
    await db.as(
      setup.owner,
      (sql) => sql`update public.agent_configs set transfer_number = ${later} where id = ${setup.configId}`,
    );
    await provisionNumber(db, other.owner, later);
    expect(await openCodes(setup.configId)).toEqual([]);
    // a number moved to this owner becomes a loop, and stops being one when it moves away
    await db.as(
      serviceRolePersona(),
      (sql) => sql`update public.phone_numbers set owner_id = ${setup.owner.userId!} where e164 = ${later}`,
    );
    expect(await openCodes(setup.configId)).toEqual(['transfer_to_own_number']);
    await db.as(
      serviceRolePersona(),
      (sql) => sql`update public.phone_numbers set owner_id = ${other.owner.userId!} where e164 = ${later}`,
    );
    expect(await openCodes(setup.configId)).toEqual([]);
    await db.as(
      setup.owner,
      (sql) => sql`update public.agent_configs set transfer_number = null where id = ${setup.configId}`,
    );
  });

  it('records a provider voice_not_found report and clears it when the voice changes', async () => {
    await db.as(
      serviceRolePersona(),
      (sql) => sql`select public.report_voice_not_found(${setup.configId}, ${RACHEL}, 'worker')`,
    );
    await db.as(
      serviceRolePersona(),
      (sql) => sql`select public.report_voice_not_found(${setup.configId}, ${RACHEL}, 'worker')`,
    );
    expect(await openCodes(setup.configId)).toEqual(['voice_not_found']);
    // a stale report about a voice the config no longer uses flags nothing
    await db.as(
      serviceRolePersona(),
      (sql) => sql`select public.report_voice_not_found(${setup.configId}, ${ADAM}, 'worker')`,
    );
    expect(await openCodes(setup.configId)).toEqual(['voice_not_found']);
    await db.sql`update public.agent_configs set voice_id = ${ADAM} where id = ${setup.configId}`;
    expect(await openCodes(setup.configId)).toEqual([]);
  });

  it("resolves a deleted config's issues", async () => {
    const [temp] = await db.as(
      setup.owner,
      (sql) => sql`insert into public.agent_configs (name, system_prompt) values ('Temp', '') returning id`,
    );
    expect(await openCodes(temp!.id)).toEqual(['prompt_empty']);
    await db.as(setup.owner, (sql) => sql`delete from public.agent_configs where id = ${temp!.id}`);
    expect(await openCodes(temp!.id)).toEqual([]);
  });
});
