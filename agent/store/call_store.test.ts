// Both CallStore backends write the same calls rows through the service-role RPCs: a row at
// start, completed at the end with latency and usage, idempotent per call id and per SIP call,
// the start and the end in one write when the start could not go first, a heartbeat, the sweep of
// rows whose worker went quiet, and a voice_not_found report that flags the owner's config.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type postgres from 'postgres';
import { createTestDatabase, type TestDatabase } from '../../test/db/harness.ts';
import { serviceRolePersona } from '../../test/db/personas.ts';
import { RACHEL, seedAgent } from '../config/_test_fixtures.ts';
import type { CallCompletion, CallStart } from '../config/types.ts';
import { callStoreBackends, type StoreUnderTest } from '../testing/call_store_backends.ts';

let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase();
});
afterAll(() => db.close());

type TestSql = postgres.TransactionSql;

const backends = callStoreBackends(() => db.url);

describe.each(backends)('%s call store', (_name, open) => {
  let subject: StoreUnderTest;
  beforeAll(async () => {
    subject = await open();
  });
  afterAll(() => subject.close());

  const startOf = (
    agent: { ownerId: string; configId: string; e164: string },
    sipCallId: string | null,
  ): CallStart => ({
    room_name: `call-${crypto.randomUUID()}`,
    livekit_call_id: sipCallId,
    trunk_id: 'ST_trunk',
    dispatch_rule_id: 'SDR_rule',
    caller_number: '+15559870000',
    dialed_number: agent.e164,
    owner_id: agent.ownerId,
    agent_config_id: agent.configId,
    config_version: 1,
    config_source: 'cache',
    started_at: '2026-11-25T10:00:00.000Z',
  });

  const endOf = (endReason: CallCompletion['end_reason'], at = '2026-11-25T10:03:00.000Z'): CallCompletion => ({
    answered_at: '2026-11-25T10:00:01.000Z',
    ended_at: at,
    end_reason: endReason,
    turns: 7,
    latency_p50_ms: 812.4,
    latency_p90_ms: 1240.6,
    stt_seconds: 171.256,
    llm_prompt_tokens: 5400,
    llm_completion_tokens: 610,
    tts_characters: 1893,
    details: { transferred: false },
  });
  const rowOf = async (id: string) => (await db.sql`select * from public.calls where id = ${id}`)[0]!;

  it('writes a calls row at start and completes it with latency and usage', async () => {
    const agent = await seedAgent(db);
    const callId = crypto.randomUUID();
    const start = startOf(agent, `SCL_${crypto.randomUUID()}`);
    expect(await subject.store.recordCall(callId, start)).toBe(callId);
    expect(await rowOf(callId)).toMatchObject({
      owner_id: agent.ownerId,
      agent_config_id: agent.configId,
      config_source: 'cache',
      ended_at: null,
      turns: 0,
    });

    expect(await subject.store.recordCall(callId, start, endOf('caller_hangup'))).toBe(callId);
    const done = await rowOf(callId);
    expect(done).toMatchObject({
      end_reason: 'caller_hangup',
      turns: 7,
      latency_p50_ms: 812,
      latency_p90_ms: 1241,
      stt_seconds: '171.26',
      llm_prompt_tokens: 5400,
      llm_completion_tokens: 610,
      tts_characters: 1893,
      details: { transferred: false },
    });
    expect(done.ended_at.toISOString()).toBe('2026-11-25T10:03:00.000Z');
    expect(done.answered_at.toISOString()).toBe('2026-11-25T10:00:01.000Z');
  });

  it('writes the start and the end in one write when the start never reached the database', async () => {
    const agent = await seedAgent(db);
    const callId = crypto.randomUUID();
    await subject.store.recordCall(callId, startOf(agent, `SCL_${crypto.randomUUID()}`), endOf('agent_hangup'));
    expect(await rowOf(callId)).toMatchObject({ owner_id: agent.ownerId, end_reason: 'agent_hangup', turns: 7 });
  });

  it('changes nothing when the same write arrives twice, and keeps one row per SIP call (a re-dispatched job)', async () => {
    const agent = await seedAgent(db);
    const sipCallId = `SCL_${crypto.randomUUID()}`;
    const first = crypto.randomUUID();
    await subject.store.recordCall(first, startOf(agent, sipCallId));
    await subject.store.recordCall(first, startOf(agent, sipCallId));
    const second = await subject.store.recordCall(
      crypto.randomUUID(),
      startOf(agent, sipCallId),
      endOf('caller_hangup'),
    );
    expect(second).toBe(first);
    const rows = await db.sql`select id, end_reason from public.calls where livekit_call_id = ${sipCallId}`;
    expect(rows).toEqual([{ id: first, end_reason: 'caller_hangup' }]);
  });

  it('records an unknown-number call with no owner or config', async () => {
    const callId = crypto.randomUUID();
    const start: CallStart = {
      room_name: 'call-unknown',
      livekit_call_id: null,
      trunk_id: null,
      dispatch_rule_id: null,
      caller_number: null,
      dialed_number: '+15550001111',
      owner_id: null,
      agent_config_id: null,
      config_version: null,
      config_source: 'default',
      started_at: new Date().toISOString(),
    };
    await subject.store.recordCall(callId, start);
    await subject.store.recordCall(callId, start, {
      answered_at: null,
      ended_at: new Date().toISOString(),
      end_reason: 'unknown_number',
      turns: 0,
      latency_p50_ms: null,
      latency_p90_ms: null,
      stt_seconds: 0,
      llm_prompt_tokens: 0,
      llm_completion_tokens: 0,
      tts_characters: 0,
      details: {},
    });
    expect(await rowOf(callId)).toMatchObject({ end_reason: 'unknown_number', owner_id: null });
  });

  it('records a call whose config was deleted after it was resolved, without the config', async () => {
    const agent = await seedAgent(db);
    await db.sql`delete from public.agent_configs where id = ${agent.configId}`;
    const callId = crypto.randomUUID();
    await subject.store.recordCall(callId, startOf(agent, `SCL_${crypto.randomUUID()}`));
    expect(await rowOf(callId)).toMatchObject({
      owner_id: agent.ownerId,
      agent_config_id: null,
      config_version: 1,
      ended_at: null,
    });
  });

  it('refuses, for good, a call whose owner was deleted (an account deletion deletes its calls)', async () => {
    const agent = await seedAgent(db);
    await db.sql`delete from auth.users where id = ${agent.ownerId}`;
    const write = subject.store.recordCall(crypto.randomUUID(), startOf(agent, `SCL_${crypto.randomUUID()}`));
    await expect(write).rejects.toMatchObject({
      name: 'AppError',
      retryable: false,
      message: expect.stringMatching(/owner_id|foreign key|violates/),
    });
  });

  it('moves the heartbeat of an open row only', async () => {
    const agent = await seedAgent(db);
    const callId = crypto.randomUUID();
    await subject.store.recordCall(callId, startOf(agent, null));
    await db.sql`update public.calls set heartbeat_at = now() - interval '1 hour' where id = ${callId}`;
    expect(await subject.store.heartbeat(callId)).toBe(true);
    expect((await rowOf(callId)).heartbeat_at.getTime()).toBeGreaterThan(Date.now() - 60_000);
    await subject.store.recordCall(callId, startOf(agent, null), endOf('caller_hangup'));
    expect(await subject.store.heartbeat(callId)).toBe(false);
    expect(await subject.store.heartbeat(crypto.randomUUID())).toBe(false);
  });

  it('sweeps open rows whose heartbeat lapsed as worker_lost, ended at the last heartbeat, and lets a late end replace it', async () => {
    const agent = await seedAgent(db);
    const [lost, live] = [crypto.randomUUID(), crypto.randomUUID()];
    await subject.store.recordCall(lost, startOf(agent, null));
    await subject.store.recordCall(live, startOf(agent, null));
    await db.sql`update public.calls set started_at = now() - interval '10 minutes', heartbeat_at = now() - interval '5 minutes' where id = ${lost}`;
    expect(await subject.store.sweepLostCalls(120_000, { dryRun: true })).toBeGreaterThanOrEqual(1);
    expect((await rowOf(lost)).ended_at).toBeNull();
    expect(await subject.store.sweepLostCalls(120_000)).toBeGreaterThanOrEqual(1);
    const swept = await rowOf(lost);
    expect(swept).toMatchObject({ end_reason: 'worker_lost', details: { swept_at: expect.any(String) } });
    expect(swept.ended_at.getTime()).toBe(swept.heartbeat_at.getTime());
    expect(await rowOf(live)).toMatchObject({ ended_at: null });
    await subject.store.recordCall(lost, startOf(agent, null), endOf('caller_hangup'));
    expect(await rowOf(lost)).toMatchObject({ end_reason: 'caller_hangup', turns: 7 });
  });

  it('flags the config when ElevenLabs says its voice was not found', async () => {
    const agent = await seedAgent(db);
    await subject.store.reportVoiceNotFound(agent.configId, RACHEL, 'worker');
    const issues = await db.sql`select code, subject_id, owner_id from public.config_issues
                                 where subject_id = ${agent.configId} and resolved_at is null`;
    expect(issues).toEqual([{ code: 'voice_not_found', subject_id: agent.configId, owner_id: agent.ownerId }]);
  });
});

describe('worker RPC grants', () => {
  it('lets only service_role call the call-record, sweep and batch-resolve functions', async () => {
    const owner = await db.createUser();
    for (const call of [
      (sql: TestSql) => sql`select public.record_call_start('{"room_name": "x"}'::jsonb)`,
      (sql: TestSql) => sql`select public.record_call_end(gen_random_uuid(), '{}'::jsonb)`,
      (sql: TestSql) => sql`select public.record_call(gen_random_uuid(), '{"room_name": "x"}'::jsonb)`,
      (sql: TestSql) => sql`select public.record_call_heartbeat(gen_random_uuid())`,
      (sql: TestSql) => sql`select public.sweep_lost_calls(60000)`,
      (sql: TestSql) => sql`select public.resolve_agent_configs(array['+15551234567'])`,
    ]) {
      await expect(db.as(owner, call)).rejects.toThrow(/permission denied for function/);
    }
    const [row] = await db.as(
      serviceRolePersona(),
      (sql) => sql`select jsonb_array_length(public.resolve_agent_configs(array['+15551234567', '555'])) as n`,
    );
    expect(row).toEqual({ n: 2 });
  });
});
