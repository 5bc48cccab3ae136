// Webhooks for call outcomes: message.created when the worker files a message, message.updated
// when the caller corrects it, and call.ended once
// the call has ended and its analysis is settled, carrying the transcript, the messages and the
// analysis, with the transcript cut to a bounded size. Settling analyses that never arrive, and
// the retention of transcripts copied into events and of old webhook history.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createOwnedSetup } from '../../test/db/fixtures.ts';
import { createTestDatabase, type TestDatabase } from '../../test/db/harness.ts';
import { type Persona, serviceRolePersona } from '../../test/db/personas.ts';
import { WEBHOOK_EVENT_TYPES } from '../../shared/webhooks/events.ts';
import { createEndpoint, startCall } from '../../test/db/webhooks.ts';

let db: TestDatabase;
const worker = serviceRolePersona();
const MARKER = ' [… transcript truncated]';

beforeAll(async () => {
  db = await createTestDatabase();
});
afterAll(() => db.close());

const eventsOf = (ownerId: string, type?: string) =>
  db.sql<{ id: string; type: string; data: Record<string, any> }[]>`
    select id, type, data from public.webhook_events
     where owner_id = ${ownerId} and (${type ?? null}::text is null or type = ${type ?? null})
     order by created_at, type`;

async function ownerWithEndpoint(events: string[]): Promise<{ owner: Persona; endpointId: string }> {
  const owner = await db.createUser();
  const { id } = await createEndpoint(db, owner, { events });
  return { owner, endpointId: id };
}
const endCall = (callId: string, extra: Record<string, unknown> = {}) =>
  db.as(
    worker,
    (sql) =>
      sql`select public.record_call_end(${callId}, ${sql.json({ ended_at: new Date().toISOString(), end_reason: 'caller_hangup', turns: 2, ...extra } as never)})`,
  );
const setAnalysis = (callId: string, fields: Record<string, unknown>) =>
  db.as(worker, (sql) => sql`update public.calls set ${sql(fields as never)} where id = ${callId}`);
const addTurn = (callId: string, seq: number, role: string, text: string, extra: Record<string, unknown> = {}) =>
  db.as(
    worker,
    (sql) => sql`insert into public.call_turns ${sql({ call_id: callId, seq, role, text, ...extra } as never)}`,
  );
const addMessage = (callId: string, body: string, extra: Record<string, unknown> = {}) =>
  db.as(
    worker,
    (sql) =>
      sql`insert into public.messages ${sql({ call_id: callId, body, ...extra } as never)} on conflict do nothing returning id, created_at`,
  );

describe('message.created', () => {
  it('is enqueued when the worker files a message, with the documented fields', async () => {
    const { owner } = await ownerWithEndpoint(['message.created']);
    const callId = await startCall(db, owner.userId!);
    const [row] = await addMessage(callId, 'Please call me back about the invoice.', {
      caller_name: 'Ann',
      callback_number: '+14155550100',
      urgent: true,
    });
    const events = await eventsOf(owner.userId!);
    expect(events).toHaveLength(1);
    expect(events[0]!.type).toBe('message.created');
    expect(events[0]!.data).toEqual({
      message: {
        id: row!.id,
        call_id: callId,
        caller_name: 'Ann',
        callback_number: '+14155550100',
        body: 'Please call me back about the invoice.',
        urgent: true,
        created_at: (row!.created_at as Date).toISOString(),
      },
    });
  });

  it('is sent once for a message the worker retried, and never for a rolled-back one', async () => {
    const { owner } = await ownerWithEndpoint(['message.created']);
    const callId = await startCall(db, owner.userId!);
    await addMessage(callId, 'Twice?');
    expect(await addMessage(callId, 'Twice?')).toHaveLength(0);
    await expect(
      db.sql.begin(async (sql) => {
        await sql`insert into public.messages (call_id, body) values (${callId}, 'Never mind')`;
        throw new Error('rollback');
      }),
    ).rejects.toThrow('rollback');
    expect((await eventsOf(owner.userId!)).map((e) => e.data.message.body)).toEqual(['Twice?']);
  });
});

describe('message.updated', () => {
  /** As the worker files a message (take_message): the same text again is a correction. */
  const fileMessage = (callId: string, fields: Record<string, unknown>) =>
    db.as(worker, (sql) => sql`select public.record_call_message(${callId}, ${sql.json(fields as never)}) as id`);

  it('is enqueued when the caller corrects a filed message, carrying it whole as corrected', async () => {
    const { owner } = await ownerWithEndpoint(['message.created', 'message.updated']);
    const callId = await startCall(db, owner.userId!);
    const body = 'Please call me back about the invoice.';
    await fileMessage(callId, { caller_name: 'Anne', callback_number: '+14155550100', body });
    await fileMessage(callId, { caller_name: 'Ann Lee', callback_number: '+14155550199', body, urgent: true });
    const events = await eventsOf(owner.userId!);
    expect(events.map((e) => e.type)).toEqual(['message.created', 'message.updated']);
    expect(events[0]!.data.message).toMatchObject({ caller_name: 'Anne', callback_number: '+14155550100' });
    expect(events[1]!.data.message).toEqual({
      ...events[0]!.data.message,
      caller_name: 'Ann Lee',
      callback_number: '+14155550199',
      urgent: true,
    });
  });

  it('is not sent for the same details filed again, nor when the owner handles the message', async () => {
    const { owner } = await ownerWithEndpoint(['message.updated']);
    const callId = await startCall(db, owner.userId!);
    const fields = { caller_name: 'Ann', callback_number: '+14155550100', body: 'Call me.' };
    const [{ id }] = (await fileMessage(callId, fields)) as unknown as [{ id: string }];
    await fileMessage(callId, fields);
    await db.as(owner, (sql) => sql`update public.messages set status = 'handled' where id = ${id}`);
    expect(await db.sql`select status from public.messages where id = ${id}`).toEqual([{ status: 'handled' }]);
    expect(await eventsOf(owner.userId!)).toEqual([]);
  });

  it('the database and the shared code list the same event types', async () => {
    const [row] = await db.sql<{ types: string[] }[]>`select private.webhook_event_types() as types`;
    expect(row!.types).toEqual([...WEBHOOK_EVENT_TYPES]);
  });
});

describe('call.ended', () => {
  it('waits for the analysis, then carries the call, the transcript in order, the messages and the analysis', async () => {
    const { owner } = await ownerWithEndpoint(['call.ended']);
    const callId = await startCall(db, owner.userId!);
    await addTurn(callId, 1, 'caller', 'Hi, this is Ann.', { started_ms: 1200, ended_ms: 2000 });
    await addTurn(callId, 0, 'agent', 'Thanks for calling.', { started_ms: 0, ended_ms: 900, interrupted: true });
    await addTurn(callId, 2, 'tool', '', {
      tool_name: 'take_message',
      tool_arguments: { urgent: true },
      tool_result: { ok: true },
    });
    const [message] = await addMessage(callId, 'Call Ann back.', { caller_name: 'Ann' });
    await endCall(callId);
    expect(await eventsOf(owner.userId!)).toEqual([]);

    await setAnalysis(callId, { analysis_status: 'done', outcome: 'message_taken', summary: 'Ann wants a call back.' });
    await setAnalysis(callId, { summary: 'Edited later.' });
    const events = await eventsOf(owner.userId!);
    expect(events).toHaveLength(1);
    const data = events[0]!.data;
    expect(Object.keys(data).sort()).toEqual(['analysis', 'call', 'messages', 'transcript', 'transcript_truncated']);
    expect(data.call).toMatchObject({
      id: callId,
      end_reason: 'caller_hangup',
      summary: 'Ann wants a call back.',
      outcome: 'message_taken',
      analysis_status: 'done',
    });
    expect(data.transcript).toEqual([
      {
        seq: 0,
        role: 'agent',
        text: 'Thanks for calling.',
        started_ms: 0,
        ended_ms: 900,
        interrupted: true,
        truncated: false,
        tool_name: null,
        tool_arguments: null,
        tool_result: null,
      },
      {
        seq: 1,
        role: 'caller',
        text: 'Hi, this is Ann.',
        started_ms: 1200,
        ended_ms: 2000,
        interrupted: false,
        truncated: false,
        tool_name: null,
        tool_arguments: null,
        tool_result: null,
      },
      {
        seq: 2,
        role: 'tool',
        text: '',
        started_ms: null,
        ended_ms: null,
        interrupted: false,
        truncated: false,
        tool_name: 'take_message',
        tool_arguments: { urgent: true },
        tool_result: { ok: true },
      },
    ]);
    expect(data.transcript_truncated).toBe(false);
    expect(data.messages).toEqual([
      {
        id: message!.id,
        call_id: callId,
        caller_name: 'Ann',
        callback_number: null,
        body: 'Call Ann back.',
        urgent: false,
        created_at: (message!.created_at as Date).toISOString(),
      },
    ]);
    expect(data.analysis).toEqual({
      status: 'done',
      summary: 'Ann wants a call back.',
      outcome: 'message_taken',
      error: null,
    });
  });

  it('goes out at the end when the analysis was settled first, and at once for a call that ends skipped', async () => {
    const { owner } = await ownerWithEndpoint(['call.ended']);
    const early = await startCall(db, owner.userId!);
    await setAnalysis(early, { analysis_status: 'failed', analysis_error: 'llm timeout' });
    expect(await eventsOf(owner.userId!)).toEqual([]);
    await endCall(early);
    const skipped = await startCall(db, owner.userId!);
    await db.as(
      worker,
      (sql) =>
        sql`update public.calls set ended_at = now(), end_reason = 'unknown_number', analysis_status = 'skipped' where id = ${skipped}`,
    );
    const events = await eventsOf(owner.userId!);
    expect(events.map((e) => [e.data.call.id, e.data.analysis.status, e.data.analysis.error])).toEqual([
      [early, 'failed', 'llm timeout'],
      [skipped, 'skipped', null],
    ]);
    expect(events[1]!.data.transcript).toEqual([]);
  });

  it('a call inserted already ended and settled sends call.started and call.ended', async () => {
    const { owner } = await ownerWithEndpoint(['call.started', 'call.ended']);
    await db.sql`insert into public.calls (room_name, owner_id, config_source, ended_at, end_reason, analysis_status)
                 values ('r', ${owner.userId!}, 'database', now(), 'unknown_number', 'skipped')`;
    expect((await eventsOf(owner.userId!)).map((e) => e.type).sort()).toEqual(['call.ended', 'call.started']);
  });

  it('cuts a transcript over about 256 KB, keeping the turns in order and marking the cut', async () => {
    const { owner } = await ownerWithEndpoint(['call.ended']);
    const callId = await startCall(db, owner.userId!);
    for (let seq = 0; seq < 40; seq += 1)
      await addTurn(callId, seq, seq % 2 ? 'caller' : 'agent', `${seq}:`.padEnd(8000, 'é'));
    await endCall(callId, {});
    await setAnalysis(callId, { analysis_status: 'done', outcome: 'other' });
    const [event] = await eventsOf(owner.userId!);
    const { transcript, transcript_truncated: truncated } = event!.data;
    expect(truncated).toBe(true);
    expect(transcript.map((t: { seq: number }) => t.seq)).toEqual([...Array(transcript.length).keys()]);
    expect(transcript.length).toBeLessThan(40);
    const last = transcript.at(-1);
    expect(last.text.endsWith(MARKER)).toBe(true);
    expect(last.truncated).toBe(true);
    expect(Buffer.byteLength(JSON.stringify(transcript))).toBeLessThanOrEqual(262_144);
    expect(Buffer.byteLength(JSON.stringify(transcript))).toBeGreaterThan(200_000);
  });

  it('cuts within multibyte text by bytes, and leaves a crossing tool call out rather than cut it', async () => {
    const owner = await db.createUser();
    const callId = await startCall(db, owner.userId!);
    await addTurn(callId, 0, 'caller', 'ü'.repeat(300));
    await addTurn(callId, 1, 'tool', '', { tool_name: 'lookup', tool_result: { rows: 'x'.repeat(500) } });
    const [cut] = await db.sql`select private.webhook_transcript(${callId}, 500) as t`;
    expect(cut!.t.truncated).toBe(true);
    expect(cut!.t.turns).toHaveLength(1);
    const text: string = cut!.t.turns[0].text;
    expect(text.endsWith(MARKER)).toBe(true);
    expect(Buffer.byteLength(text.slice(0, -MARKER.length))).toBeLessThanOrEqual(500 - 200 - Buffer.byteLength(MARKER));
    const [tool] = await db.sql`select private.webhook_transcript(${callId}, 1000) as t`;
    expect(tool!.t).toEqual({
      turns: [expect.objectContaining({ seq: 0, text: 'ü'.repeat(300), truncated: false })],
      truncated: true,
    });
  });

  it('an analysis that never arrives is settled after the deadline, so call.ended still goes out', async () => {
    const setup = await createOwnedSetup(db);
    await createEndpoint(db, setup.owner, { events: ['call.ended'] });
    const [analysed] = await db.sql`insert into public.calls (room_name, owner_id, agent_config_id, config_source)
      values ('r', ${setup.owner.userId!}, ${setup.configId}, 'database') returning id`;
    const unconfigured = await startCall(db, setup.owner.userId!);
    const recent = await startCall(db, setup.owner.userId!);
    await db.sql`update public.calls set ended_at = now() - interval '11 minutes', end_reason = 'worker_shutdown' where id in ${db.sql([analysed!.id, unconfigured])}`;
    await endCall(recent);
    const [run] = await db.sql`select private.expire_pending_analyses(600000) as n`;
    expect(run!.n).toBe(2);
    const events = await eventsOf(setup.owner.userId!, 'call.ended');
    expect(Object.fromEntries(events.map((e) => [e.data.call.id, e.data.analysis]))).toEqual({
      [analysed!.id]: {
        status: 'failed',
        summary: null,
        outcome: null,
        error: 'no analysis arrived within 600 s of the end of the call',
      },
      [unconfigured]: { status: 'skipped', summary: null, outcome: null, error: null },
    });
    const [again] = await db.sql`select private.expire_pending_analyses(600000) as n`;
    expect(again!.n).toBe(0);
  });
});

describe('retention', () => {
  it('the transcript purge also empties the transcripts copied into old call.ended events', async () => {
    const { owner } = await ownerWithEndpoint(['call.ended']);
    const callId = await startCall(db, owner.userId!);
    await addTurn(callId, 0, 'caller', 'My card number is …');
    await endCall(callId, {});
    await setAnalysis(callId, { analysis_status: 'skipped' });
    await db.sql`update public.call_turns set created_at = now() - interval '8 days' where call_id = ${callId}`;
    await db.sql`update public.webhook_events set created_at = now() - interval '8 days' where owner_id = ${owner.userId!}`;
    await db.as(owner, (sql) => sql`insert into public.owner_settings (transcript_retention_days) values (7)`);
    expect(await db.as(worker, async (sql) => (await sql`select public.purge_expired_transcripts() as n`)[0]!.n)).toBe(
      1,
    );
    const [event] = await eventsOf(owner.userId!);
    expect(event!.data).toMatchObject({ transcript: [], transcript_purged: true, call: { id: callId } });
  });

  it('old webhook events go with their deliveries, except while a delivery is still pending', async () => {
    const { owner, endpointId } = await ownerWithEndpoint(['call.started']);
    const settled = await startCall(db, owner.userId!);
    const pending = await startCall(db, owner.userId!);
    await startCall(db, owner.userId!);
    await db.sql`update public.webhook_events set created_at = now() - interval '31 days'
                  where owner_id = ${owner.userId!} and data -> 'call' ->> 'id' in ${db.sql([settled, pending])}`;
    await db.sql`update public.webhook_deliveries d set status = 'succeeded', next_attempt_at = null, completed_at = now()
                  from public.webhook_events e where e.id = d.event_id and e.data -> 'call' ->> 'id' = ${settled}`;
    const [run] = await db.sql`select private.purge_webhook_history(${30 * 24 * 3600 * 1000}) as n`;
    expect(run!.n).toBeGreaterThanOrEqual(1);
    const left = (await eventsOf(owner.userId!)).map((e) => e.data.call.id);
    expect(left).toHaveLength(2);
    expect(left).toContain(pending);
    expect(left).not.toContain(settled);
    const deliveries = await db.sql`select 1 from public.webhook_deliveries where endpoint_id = ${endpointId}`;
    expect(deliveries).toHaveLength(2);
  });
});
