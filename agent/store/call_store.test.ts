// Both CallStore backends write the same calls rows through the service-role RPCs: a row at
// start, completed at the end with latency and usage, idempotent per SIP call, and a
// voice_not_found report flags the owner's config.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type postgres from 'postgres';
import { createTestDatabase, type TestDatabase } from '../../test/db/harness.ts';
import { serviceRolePersona } from '../../test/db/personas.ts';
import { RACHEL, seedAgent } from '../config/_test_fixtures.ts';
import type { CallCompletion, CallStart, CallStore } from '../config/types.ts';
import { startSupabaseFake } from '../../test/fakes/supabase_api.ts';
import { createCallStore } from '../config/create_config_source.ts';
import { PostgresCallStore } from './postgres_call_store.ts';

let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase();
});
afterAll(() => db.close());

type TestSql = postgres.TransactionSql;

interface StoreUnderTest {
  store: CallStore;
  close(): Promise<void>;
}

const backends: Array<[string, () => Promise<StoreUnderTest>]> = [
  ['postgres', async () => {
    const store = new PostgresCallStore({ databaseUrl: db.url });
    return { store, close: () => store.close() };
  }],
  ['supabase', async () => {
    const fake = await startSupabaseFake({ databaseUrl: db.url });
    const store = createCallStore({ kind: 'supabase', supabaseUrl: fake.url, serviceRoleKey: fake.serviceRoleKey });
    return { store, close: async () => {
      await store.close?.();
      await fake.close();
    } };
  }],
];

describe.each(backends)('%s call store', (_name, open) => {
  let subject: StoreUnderTest;
  beforeAll(async () => {
    subject = await open();
  });
  afterAll(() => subject.close());

  const startOf = (agent: { ownerId: string; configId: string; e164: string }, sipCallId: string | null): CallStart => ({
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

  it('writes a calls row at start and completes it with latency and usage', async () => {
    const agent = await seedAgent(db);
    const id = await subject.store.startCall(startOf(agent, `SCL_${crypto.randomUUID()}`));
    const [open] = await db.sql`select * from public.calls where id = ${id}`;
    expect(open).toMatchObject({ owner_id: agent.ownerId, agent_config_id: agent.configId, config_source: 'cache', ended_at: null, turns: 0 });

    const completion: CallCompletion = {
      answered_at: '2026-11-25T10:00:01.000Z', ended_at: '2026-11-25T10:03:00.000Z', end_reason: 'caller_hangup',
      turns: 7, latency_p50_ms: 812.4, latency_p90_ms: 1240.6, stt_seconds: 171.256,
      llm_prompt_tokens: 5400, llm_completion_tokens: 610, tts_characters: 1893, details: { transferred: false },
    };
    await subject.store.completeCall(id, completion);
    const [done] = await db.sql`select * from public.calls where id = ${id}`;
    expect(done).toMatchObject({
      end_reason: 'caller_hangup', turns: 7, latency_p50_ms: 812, latency_p90_ms: 1241, stt_seconds: '171.26',
      llm_prompt_tokens: 5400, llm_completion_tokens: 610, tts_characters: 1893, details: { transferred: false },
    });
    expect(done!.ended_at.toISOString()).toBe('2026-11-25T10:03:00.000Z');
    expect(done!.answered_at.toISOString()).toBe('2026-11-25T10:00:01.000Z');
  });

  it('returns the same row when the same SIP call starts twice (a re-dispatched job)', async () => {
    const agent = await seedAgent(db);
    const sipCallId = `SCL_${crypto.randomUUID()}`;
    const first = await subject.store.startCall(startOf(agent, sipCallId));
    const second = await subject.store.startCall(startOf(agent, sipCallId));
    expect(second).toBe(first);
    const [{ count }] = await db.sql`select count(*)::int as count from public.calls where livekit_call_id = ${sipCallId}` as unknown as [{ count: number }];
    expect(count).toBe(1);
  });

  it('records an unknown-number call with no owner or config', async () => {
    const id = await subject.store.startCall({
      room_name: 'call-unknown', livekit_call_id: null, trunk_id: null, dispatch_rule_id: null, caller_number: null,
      dialed_number: '+15550001111', owner_id: null, agent_config_id: null, config_version: null, config_source: 'default',
      started_at: new Date().toISOString(),
    });
    await subject.store.completeCall(id, {
      answered_at: null, ended_at: new Date().toISOString(), end_reason: 'unknown_number', turns: 0, latency_p50_ms: null,
      latency_p90_ms: null, stt_seconds: 0, llm_prompt_tokens: 0, llm_completion_tokens: 0, tts_characters: 0, details: {},
    });
    const [row] = await db.sql`select end_reason, owner_id from public.calls where id = ${id}`;
    expect(row).toEqual({ end_reason: 'unknown_number', owner_id: null });
  });

  it('refuses to complete a call that was never started', async () => {
    await expect(subject.store.completeCall(crypto.randomUUID(), {
      answered_at: null, ended_at: new Date().toISOString(), end_reason: 'error', turns: 0, latency_p50_ms: null,
      latency_p90_ms: null, stt_seconds: 0, llm_prompt_tokens: 0, llm_completion_tokens: 0, tts_characters: 0, details: {},
    })).rejects.toMatchObject({ name: 'AppError', message: expect.stringMatching(/does not exist/) });
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
  it('lets only service_role call the call-record and batch-resolve functions', async () => {
    const owner = await db.createUser();
    for (const call of [
      (sql: TestSql) => sql`select public.record_call_start('{"room_name": "x"}'::jsonb)`,
      (sql: TestSql) => sql`select public.record_call_end(gen_random_uuid(), '{}'::jsonb)`,
      (sql: TestSql) => sql`select public.resolve_agent_configs(array['+15551234567'])`,
    ]) {
      await expect(db.as(owner, call)).rejects.toThrow(/permission denied for function/);
    }
    const [row] = await db.as(serviceRolePersona(), (sql) => sql`select jsonb_array_length(public.resolve_agent_configs(array['+15551234567', '555'])) as n`);
    expect(row).toEqual({ n: 2 });
  });
});
