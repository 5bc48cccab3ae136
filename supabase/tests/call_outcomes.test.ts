// Transcripts, messages and analysis as personas see them: owners read their own and change only
// a message's status; the worker (service_role) writes; retention purges only expired turns.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createOwnedSetup, type OwnedSetup } from '../../test/db/fixtures.ts';
import { createTestDatabase, type TestDatabase } from '../../test/db/harness.ts';
import { serviceRolePersona, type Persona } from '../../test/db/personas.ts';

let db: TestDatabase;
let setup: OwnedSetup;
let stranger: Persona;
let callId: string;
const worker = serviceRolePersona();

beforeAll(async () => {
  db = await createTestDatabase();
  setup = await createOwnedSetup(db);
  stranger = await db.createUser('stranger@example.test');
  const [call] = await db.as(
    worker,
    (sql) =>
      sql`insert into public.calls (room_name, owner_id, agent_config_id, config_source)
        values ('call-outcomes', ${setup.owner.userId!}, ${setup.configId}, 'database') returning id`,
  );
  callId = call!.id;
});
afterAll(() => db.close());

const insertTurn = (seq: number, role: string, text: string, extra: Record<string, unknown> = {}) =>
  db.as(
    worker,
    (sql) => sql`insert into public.call_turns ${sql({ call_id: callId, seq, role, text, ...extra } as never)}
                             on conflict (call_id, seq) do nothing returning id`,
  );

describe('call_turns', () => {
  it('are written by the worker, filed under the call owner, and a retried batch adds nothing', async () => {
    expect(await insertTurn(0, 'agent', 'Thanks for calling.', { started_ms: 0, ended_ms: 900 })).toHaveLength(1);
    expect(await insertTurn(1, 'caller', 'Hi, this is Ann.', { started_ms: 1200, ended_ms: 2000 })).toHaveLength(1);
    expect(await insertTurn(1, 'caller', 'Hi, this is Ann.')).toHaveLength(0);
    const rows = await db.as(setup.owner, (sql) => sql`select seq, role, owner_id from public.call_turns order by seq`);
    expect(rows).toEqual([
      { seq: 0, role: 'agent', owner_id: setup.owner.userId },
      { seq: 1, role: 'caller', owner_id: setup.owner.userId },
    ]);
  });

  it('are invisible to other users, and no user may write one', async () => {
    expect(await db.as(stranger, (sql) => sql`select 1 from public.call_turns`)).toHaveLength(0);
    await expect(
      db.as(
        setup.owner,
        (sql) => sql`insert into public.call_turns (call_id, seq, role, text) values (${callId}, 9, 'caller', 'x')`,
      ),
    ).rejects.toMatchObject({ code: '42501' });
  });

  it('refuse a tool row without its name, and offsets that run backwards, with the rule named', async () => {
    await expect(insertTurn(5, 'tool', '')).rejects.toMatchObject({ constraint_name: 'call_turns_tool_check' });
    await expect(insertTurn(6, 'agent', 'x', { started_ms: 500, ended_ms: 100 })).rejects.toMatchObject({
      constraint_name: 'call_turns_offsets_check',
    });
  });

  it('keep tool calls with their arguments and result', async () => {
    await insertTurn(2, 'tool', '', {
      tool_name: 'take_message',
      tool_arguments: { urgent: true },
      tool_result: { ok: true },
    });
    const [row] = await db.as(
      setup.owner,
      (sql) => sql`select tool_name, tool_arguments, tool_result from public.call_turns where seq = 2`,
    );
    expect(row).toEqual({ tool_name: 'take_message', tool_arguments: { urgent: true }, tool_result: { ok: true } });
  });
});

describe('transcript retention', () => {
  it('purges only turns older than the owner chose to keep, and keeps everything when unset', async () => {
    await db.sql`update public.call_turns set created_at = now() - interval '40 days' where call_id = ${callId} and seq = 0`;
    expect(await db.as(worker, async (sql) => (await sql`select public.purge_expired_transcripts() as n`)[0]!.n)).toBe(
      0,
    );
    await db.as(setup.owner, (sql) => sql`insert into public.owner_settings (transcript_retention_days) values (30)`);
    expect(await db.as(worker, async (sql) => (await sql`select public.purge_expired_transcripts() as n`)[0]!.n)).toBe(
      1,
    );
    const left = await db.sql`select seq from public.call_turns where call_id = ${callId} order by seq`;
    expect(left.map((r) => r.seq)).toEqual([1, 2]);
  });

  it("is an owner setting others cannot read, and purging is the worker's act", async () => {
    expect(await db.as(stranger, (sql) => sql`select 1 from public.owner_settings`)).toHaveLength(0);
    await expect(db.as(setup.owner, (sql) => sql`select public.purge_expired_transcripts()`)).rejects.toMatchObject({
      code: '42501',
    });
    await expect(
      db.as(setup.owner, (sql) => sql`update public.owner_settings set transcript_retention_days = 0`),
    ).rejects.toMatchObject({ constraint_name: 'owner_settings_retention_check' });
  });
});

describe('messages', () => {
  let messageId: string;

  it('are filed by the worker under the call owner; a retried tool call files nothing twice', async () => {
    const write = () =>
      db.as(
        worker,
        (sql) => sql`
      insert into public.messages (call_id, caller_name, callback_number, body, urgent)
      values (${callId}, 'Ann', '+14155550100', 'Please call me back about the invoice.', true)
      on conflict do nothing returning id`,
      );
    const [first] = await write();
    messageId = first!.id;
    expect(await write()).toHaveLength(0);
    const [row] = await db.as(setup.owner, (sql) => sql`select owner_id, status, handled_at from public.messages`);
    expect(row).toEqual({ owner_id: setup.owner.userId, status: 'new', handled_at: null });
  });

  it('can be marked handled by their owner, and nothing else about them can be changed', async () => {
    await db.as(setup.owner, (sql) => sql`update public.messages set status = 'handled' where id = ${messageId}`);
    const [row] = await db.sql`select status, handled_at from public.messages where id = ${messageId}`;
    expect(row!.status).toBe('handled');
    expect(row!.handled_at).toBeInstanceOf(Date);
    await expect(
      db.as(setup.owner, (sql) => sql`update public.messages set body = 'changed' where id = ${messageId}`),
    ).rejects.toMatchObject({ code: '42501' });
    const touched = await db.as(
      stranger,
      (sql) => sql`update public.messages set status = 'new' where id = ${messageId} returning id`,
    );
    expect(touched).toHaveLength(0);
  });

  it('refuse an empty message or a callback number that is not E.164, naming the rule', async () => {
    await expect(
      db.as(worker, (sql) => sql`insert into public.messages (call_id, body) values (${callId}, '   ')`),
    ).rejects.toMatchObject({ constraint_name: 'messages_body_check' });
    await expect(
      db.as(
        worker,
        (sql) => sql`insert into public.messages (call_id, body, callback_number) values (${callId}, 'hi', '555-0100')`,
      ),
    ).rejects.toMatchObject({ constraint_name: 'messages_callback_number_check' });
  });
});

describe('analysis', () => {
  it('starts pending, and a done analysis must name an outcome from the list', async () => {
    const [call] = await db.sql`select analysis_status, outcome from public.calls where id = ${callId}`;
    expect(call).toEqual({ analysis_status: 'pending', outcome: null });
    await expect(
      db.as(worker, (sql) => sql`update public.calls set analysis_status = 'done' where id = ${callId}`),
    ).rejects.toMatchObject({ constraint_name: 'calls_analysis_done_check' });
    await expect(
      db.as(worker, (sql) => sql`update public.calls set outcome = 'happy' where id = ${callId}`),
    ).rejects.toMatchObject({ constraint_name: 'calls_outcome_check' });
    await db.as(
      worker,
      (sql) =>
        sql`update public.calls set analysis_status = 'done', outcome = 'message_taken', summary = 'Ann wants a call back.' where id = ${callId}`,
    );
  });

  it('is on by default for every config, with take_message', async () => {
    const [config] =
      await db.sql`select take_messages, post_call_analysis from public.agent_configs where id = ${setup.configId}`;
    expect(config).toEqual({ take_messages: true, post_call_analysis: true });
  });
});
