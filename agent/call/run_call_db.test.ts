// The call flow against the real pieces, through both config backends: the Postgres source
// (LISTEN/NOTIFY) and the Supabase source (real supabase-js on the PostgREST-RPC and Realtime
// fakes), both reading the embedded test database; the real OpenAI plugin on the local Chat
// Completions fake; the real livekit-server-sdk hanging up through the LiveKit Twirp fake.
import { initializeLogger, log } from '@livekit/agents';
import { testLogLevel } from '../testing/test_log_level.ts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../../test/db/harness.ts';
import { FakeLiveKit } from '../../test/fakes/livekit.ts';
import { type FakeOpenAI, startFakeOpenAI } from '../../test/fakes/openai.ts';
import { startSupabaseFake, type SupabaseFake } from '../../test/fakes/supabase_api.ts';
import { startTcpProxy, type TcpProxy } from '../../test/fakes/tcp_proxy.ts';
import { eventually, seedAgent } from '../config/_test_fixtures.ts';
import type { CachedConfigSource } from '../config/cached_config_source.ts';
import { createCallStore, createConfigSource } from '../config/create_config_source.ts';
import type { ConfigBackendEnv } from '../env.ts';
import type { CallStore } from '../config/types.ts';
import { fakeLiveKitCall } from '../testing/fake_livekit_call.ts';
import { textProviders } from './text_providers.ts';
import { DEFAULT_VOICE_ID } from '../../shared/voice_id.ts';
import { TRANSFER_FAILED } from './fallback.ts';
import { GENERIC_RECEPTIONIST_PROMPT } from './instructions.ts';
import { runCall } from './run_call.ts';

let db: TestDatabase;
let openai: FakeOpenAI;
let livekit: FakeLiveKit;
let supabase: SupabaseFake;
let source: CachedConfigSource;
let store: CallStore;

beforeAll(async () => {
  initializeLogger({ pretty: false, level: testLogLevel() });
  [db, openai, livekit] = await Promise.all([createTestDatabase(), startFakeOpenAI(), FakeLiveKit.start()]);
  supabase = await startSupabaseFake({ databaseUrl: db.url });
});
afterAll(async () => {
  await supabase.close();
  await Promise.all([db.close(), openai.close(), livekit.close()]);
});

const BACKENDS: Array<[string, () => ConfigBackendEnv]> = [
  ['postgres', () => ({ kind: 'postgres', databaseUrl: db.url })],
  ['supabase', () => ({ kind: 'supabase', supabaseUrl: supabase.url, serviceRoleKey: supabase.serviceRoleKey })],
];

function callFor(dialed: string) {
  const { info, controls } = fakeLiveKitCall(livekit, dialed);
  return runCall(info, {
    configSource: source,
    callStore: store,
    providers: textProviders({ openaiApiKey: openai.apiKey, openaiBaseUrl: openai.baseUrl }),
    controls,
    logger: log(),
  });
}

describe.each(BACKENDS)('a call with the %s config source', (kind, settings) => {
  beforeAll(async () => {
    source = createConfigSource(settings(), {
      reconcileIntervalMs: 0,
      supabase: { reconnectDelaysMs: [50], recreateDelaysMs: [50], watchdogMs: 1_000 },
    });
    store = createCallStore(settings());
    await source.start();
  });
  afterAll(async () => {
    await source.close();
    await store.close?.();
  });

  it('applies a prompt changed in SQL from the next turn', async () => {
    const agent = await seedAgent(db, { prompt: 'You answer for Acme Plumbing.' });
    openai.setScript(() => ({ text: 'Sure.' }));
    const call = await callFor(agent.e164);
    await call.session.run({ userInput: 'First' }).wait();
    await db.sql`update public.agent_configs set system_prompt = 'You answer for Zenith Dental.' where id = ${agent.configId}`;
    await eventually(() => call.currentConfig()?.version === 2);
    await call.configApplied();
    await call.session.run({ userInput: 'Second' }).wait();
    const prompts = openai.requests
      .filter((r) => ['First', 'Second'].includes(r.lastUser))
      .map((r) => String(r.messages[0]!.content));
    expect(prompts[0]).toContain('Acme Plumbing');
    expect(prompts[1]).toContain('Zenith Dental');
    await call.end('agent_hangup');
    await call.finished;
  });

  it('writes the calls row at start and completes it with turns, usage and the end reason, and deletes the room', async () => {
    const agent = await seedAgent(db);
    openai.setScript((req) =>
      req.lastToolOutput === null && req.lastUser === 'Bye'
        ? { toolCalls: [{ name: 'end_call', args: {} }] }
        : { text: 'Happy to help.' },
    );
    const call = await callFor(agent.e164);
    await call.session.run({ userInput: 'Do you open on Sunday?' }).wait();
    // The row is written in parallel with the greeting; wait for that write, then read it.
    const id = await call.recorded;
    expect(id).not.toBeNull();
    const [open] = await db.sql`select * from public.calls where id = ${id}`;
    expect(open).toMatchObject({
      dialed_number: agent.e164,
      owner_id: agent.ownerId,
      agent_config_id: agent.configId,
      config_version: 1,
      ended_at: null,
      config_source: expect.stringMatching(/^(cache|database)$/),
    });
    expect(livekit.rooms.has(String(open!.room_name))).toBe(true);
    await call.session.run({ userInput: 'Bye' }).wait();
    const outcome = await call.finished;
    const [row] = await db.sql`select * from public.calls where id = ${outcome.callRowId}`;
    expect(row).toMatchObject({
      end_reason: 'agent_hangup',
      turns: 2,
      llm_prompt_tokens: 42 * 3,
      llm_completion_tokens: 7 * 3,
      caller_number: '+15559870000',
    });
    expect(row!.answered_at).not.toBeNull();
    expect(livekit.rooms.has(String(open!.room_name))).toBe(false);
  });

  it('tells the caller when LiveKit refuses the transfer, and keeps the call going', async () => {
    const agent = await seedAgent(db);
    await db.sql`update public.agent_configs set transfer_number = '+15557770000' where id = ${agent.configId}`;
    openai.setScript((req) =>
      req.lastToolOutput === null
        ? { toolCalls: [{ name: 'transfer_call', args: { reason: 'person' } }] }
        : { text: 'Connecting you now.' },
    );
    livekit.fail('TransferSIPParticipant', { code: 'failed_precondition', msg: 'transfer rejected', status: 412 });
    const call = await callFor(agent.e164);
    await call.session.run({ userInput: 'A person please' }).wait();
    await eventually(() =>
      call.session.history.items.some((i) => i.type === 'message' && i.textContent === TRANSFER_FAILED),
    );
    expect(livekit.requests.some((r) => r.method === 'TransferSIPParticipant')).toBe(true);
    await call.end('agent_hangup');
    await call.finished;
  });

  // Only the Supabase source has a socket to drop; the Postgres source's reconnect is covered in
  // agent/config/postgres_source.test.ts.
  if (kind === 'supabase')
    it('gets a change made while the Realtime socket was down into the live call after the rejoin', async () => {
      const agent = await seedAgent(db, { prompt: 'You answer for Acme Plumbing.' });
      const call = await callFor(agent.e164);
      await call.session.run({ userInput: 'Before the drop' }).wait();
      supabase.realtime.knobs.acceptConnections = false;
      supabase.realtime.dropSockets();
      await db.sql`update public.agent_configs set system_prompt = 'You answer for Zenith Dental.' where id = ${agent.configId}`;
      supabase.realtime.knobs.acceptConnections = true;
      await eventually(() => call.currentConfig()?.version === 2);
      await call.configApplied();
      await call.session.run({ userInput: 'After the rejoin' }).wait();
      const request = openai.requests.find((r) => r.lastUser === 'After the rejoin')!;
      expect(String(request.messages[0]!.content)).toContain('Zenith Dental');
      await call.end('agent_hangup');
      await call.finished;
    });
});

describe('a call while the database is unreachable', () => {
  let proxy: TcpProxy;
  let cutSource: CachedConfigSource;
  let cutStore: CallStore;

  beforeAll(async () => {
    const target = new URL(db.url);
    proxy = await startTcpProxy({ host: target.hostname, port: Number(target.port) });
    const settings = { kind: 'postgres' as const, databaseUrl: proxy.rewrite(db.url) };
    cutSource = createConfigSource(settings, {
      reconcileIntervalMs: 0,
      fetchTimeoutMs: 500,
      postgres: { reconnectDelaysMs: [50], connectTimeoutMs: 500 },
    });
    cutStore = createCallStore(settings);
    await cutSource.start();
  });
  afterAll(async () => {
    proxy.restore();
    await cutSource.close();
    await cutStore.close?.();
    await proxy.close();
  });

  function callThroughProxy(dialed: string) {
    const { info, controls } = fakeLiveKitCall(livekit, dialed);
    return runCall(info, {
      configSource: cutSource,
      callStore: cutStore,
      providers: textProviders({ openaiApiKey: openai.apiKey, openaiBaseUrl: openai.baseUrl }),
      controls,
      logger: log(),
    });
  }

  it("answers with the number's last known config, then the generic receptionist for a number never seen", async () => {
    const known = await seedAgent(db, { prompt: 'You answer for Acme Plumbing.' });
    const unseen = await seedAgent(db, { prompt: 'You answer for Zenith Dental.' });
    await cutSource.resolve(known.e164);
    proxy.cut();
    await eventually(() => !cutSource.stats.deliveryLive || undefined);
    openai.setScript(() => ({ text: 'Still here.' }));

    const first = await callThroughProxy(known.e164);
    expect(first.callConfig).toMatchObject({ kind: 'agent', origin: 'last_known' });
    await first.session.run({ userInput: 'Hello?' }).wait();
    expect(
      first.session.history.items.flatMap((i) =>
        i.type === 'message' && i.role === 'assistant' ? [i.textContent] : [],
      ),
    ).toEqual(['Hello!', 'Still here.']);
    expect(String(openai.requests.at(-1)!.messages[0]!.content)).toContain('Acme Plumbing');
    await first.end('agent_hangup');
    expect((await first.finished).reason).toBe('agent_hangup');

    const second = await callThroughProxy(unseen.e164);
    expect(second.callConfig).toMatchObject({ kind: 'agent', origin: 'default', voiceId: DEFAULT_VOICE_ID });
    await second.session.run({ userInput: 'Hi' }).wait();
    expect(String(openai.requests.at(-1)!.messages[0]!.content)).toContain(GENERIC_RECEPTIONIST_PROMPT);
    await second.end('agent_hangup');
    await second.finished;
  }, 20_000);
});
