// Both CallStore backends write what a call leaves for its owner through the service-role RPCs of
// 20261203100000_record_call_outcomes.sql: transcript turns (a retried batch adds nothing), messages
// (the same text again is the same message, corrected in place; another text is another message),
// and the post-call analysis with the call's LLM token totals (a retry counts nothing twice).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../../test/db/harness.ts';
import { seedAgent } from '../config/_test_fixtures.ts';
import type { CallStart } from '../config/types.ts';
import type { CallTurnRow } from './call_outcomes.ts';
import { callStoreBackends, type StoreUnderTest } from '../testing/call_store_backends.ts';

let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase();
});
afterAll(() => db.close());

const backends = callStoreBackends(() => db.url);

const turn = (seq: number, role: CallTurnRow['role'], text: string): CallTurnRow => ({
  seq,
  role,
  text,
  started_ms: seq * 1000,
  ended_ms: seq * 1000 + 500,
  interrupted: false,
  truncated: false,
  tool_name: null,
  tool_arguments: null,
  tool_result: null,
});

describe.each(backends)('%s call store, call outcomes', (_name, open) => {
  let subject: StoreUnderTest;
  beforeAll(async () => {
    subject = await open();
  });
  afterAll(() => subject.close());

  async function openCall(): Promise<{ callId: string; ownerId: string }> {
    const agent = await seedAgent(db);
    const callId = crypto.randomUUID();
    const start: CallStart = {
      room_name: `call-${callId}`,
      livekit_call_id: null,
      trunk_id: null,
      dispatch_rule_id: null,
      caller_number: '+15559870000',
      dialed_number: agent.e164,
      owner_id: agent.ownerId,
      agent_config_id: agent.configId,
      config_version: 1,
      config_source: 'cache',
      started_at: new Date().toISOString(),
    };
    await subject.store.recordCall(callId, start);
    return { callId, ownerId: agent.ownerId };
  }

  it("adds transcript turns in batches, a retried batch adding nothing, each filed under the call's owner", async () => {
    const { callId, ownerId } = await openCall();
    const tool: CallTurnRow = {
      ...turn(2, 'tool', ''),
      tool_name: 'take_message',
      tool_arguments: { body: 'Call me' },
      tool_result: { output: 'ok', is_error: false },
    };
    await subject.store.recordTurns(callId, [turn(0, 'agent', 'Hello!'), turn(1, 'caller', 'Hi')]);
    await subject.store.recordTurns(callId, [turn(1, 'caller', 'Hi'), tool]);
    await subject.store.recordTurns(callId, [turn(1, 'caller', 'Hi'), tool]);
    const rows =
      await db.sql`select seq, role, text, owner_id, tool_name, tool_arguments, tool_result from public.call_turns where call_id = ${callId} order by seq`;
    expect(rows).toEqual([
      {
        seq: 0,
        role: 'agent',
        text: 'Hello!',
        owner_id: ownerId,
        tool_name: null,
        tool_arguments: null,
        tool_result: null,
      },
      {
        seq: 1,
        role: 'caller',
        text: 'Hi',
        owner_id: ownerId,
        tool_name: null,
        tool_arguments: null,
        tool_result: null,
      },
      {
        seq: 2,
        role: 'tool',
        text: '',
        owner_id: ownerId,
        tool_name: 'take_message',
        tool_arguments: { body: 'Call me' },
        tool_result: { output: 'ok', is_error: false },
      },
    ]);
  });

  it('files a message once per text, takes a correction of the same text in place, and a second text as a second message', async () => {
    const { callId, ownerId } = await openCall();
    const first = {
      caller_name: 'Ann',
      callback_number: '+15551234567',
      body: 'Please call me back about the leak.',
      urgent: false,
    };
    const id = await subject.store.recordMessage(callId, first);
    expect(await subject.store.recordMessage(callId, first)).toBe(id);
    expect(await subject.store.recordMessage(callId, { ...first, callback_number: '+15557654321', urgent: true })).toBe(
      id,
    );
    await subject.store.recordMessage(callId, { ...first, body: 'Also, the invoice is wrong.' });
    const rows =
      await db.sql`select body, callback_number, urgent, owner_id from public.messages where call_id = ${callId} order by body`;
    expect(rows).toEqual([
      { body: 'Also, the invoice is wrong.', callback_number: '+15551234567', urgent: false, owner_id: ownerId },
      { body: 'Please call me back about the leak.', callback_number: '+15557654321', urgent: true, owner_id: ownerId },
    ]);
  });

  it('writes the analysis with the token totals, the same write twice changing nothing', async () => {
    const { callId } = await openCall();
    const analysis = {
      status: 'done',
      summary: 'Ann left a message about a leak.',
      outcome: 'message_taken',
      llm_prompt_tokens: 210.4,
      llm_completion_tokens: 40,
    } as const;
    await subject.store.recordAnalysis(callId, analysis);
    await subject.store.recordAnalysis(callId, analysis);
    const [row] =
      await db.sql`select analysis_status, summary, outcome, analysis_error, llm_prompt_tokens, llm_completion_tokens from public.calls where id = ${callId}`;
    expect(row).toEqual({
      analysis_status: 'done',
      summary: analysis.summary,
      outcome: 'message_taken',
      analysis_error: null,
      llm_prompt_tokens: 210,
      llm_completion_tokens: 40,
    });
  });

  it('writes a failed analysis with its error, and a skipped one leaving the token counts alone', async () => {
    const failed = await openCall();
    await subject.store.recordAnalysis(failed.callId, {
      status: 'failed',
      error: 'no answer within 15000 ms',
      llm_prompt_tokens: 5,
      llm_completion_tokens: 0,
    });
    const skipped = await openCall();
    await subject.store.recordAnalysis(skipped.callId, { status: 'skipped' });
    const rows =
      await db.sql`select id, analysis_status, analysis_error, llm_prompt_tokens from public.calls where id in ${db.sql([failed.callId, skipped.callId])}`;
    expect(rows.find((r) => r.id === failed.callId)).toMatchObject({
      analysis_status: 'failed',
      analysis_error: 'no answer within 15000 ms',
      llm_prompt_tokens: 5,
    });
    expect(rows.find((r) => r.id === skipped.callId)).toMatchObject({
      analysis_status: 'skipped',
      analysis_error: null,
      llm_prompt_tokens: 0,
    });
  });

  it('refuses an outcome the database does not know, as a write not worth retrying', async () => {
    const { callId } = await openCall();
    const bad = {
      status: 'done',
      summary: 's',
      outcome: 'sold_a_car',
      llm_prompt_tokens: 0,
      llm_completion_tokens: 0,
    } as never;
    await expect(subject.store.recordAnalysis(callId, bad)).rejects.toMatchObject({ retryable: false });
  });
});
