// A call's outcomes survive the database going away: the real call flow (text mode, the OpenAI
// fake, the LiveKit fake) writes through the Postgres call store behind a fault proxy. The
// database refuses connections from the middle of the call until after the hang-up; the
// transcript, the message and the analysis wait in the write queue and all arrive once it is back,
// in order, so the call.ended event (built when the analysis lands) holds the whole transcript.
import { initializeLogger, log } from '@livekit/agents';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../../test/db/harness.ts';
import { userPersona } from '../../test/db/personas.ts';
import { createEndpoint } from '../../test/db/webhooks.ts';
import { FakeLiveKit } from '../../test/fakes/livekit.ts';
import { type FakeOpenAI, startFakeOpenAI } from '../../test/fakes/openai.ts';
import { startTcpProxy, type TcpProxy } from '../../test/fakes/tcp_proxy.ts';
import { seedAgent } from '../config/_test_fixtures.ts';
import type { CachedConfigSource } from '../config/cached_config_source.ts';
import { createConfigSource } from '../config/create_config_source.ts';
import { DurableWrites } from '../store/durable_writes.ts';
import { PostgresCallStore } from '../store/postgres_call_store.ts';
import { fakeLiveKitCall } from '../testing/fake_livekit_call.ts';
import { testLogLevel } from '../testing/test_log_level.ts';
import { ANALYSIS_TOOL } from './post_call_analysis.ts';
import { runCall } from './run_call.ts';
import { TAKE_MESSAGE_TOOL } from './take_message.ts';
import { textProviders } from './text_providers.ts';

const FAST_RETRIES = { firstRetryDelayMs: 10, maxRetryDelayMs: 100 };

let db: TestDatabase;
let openai: FakeOpenAI;
let livekit: FakeLiveKit;
let proxy: TcpProxy;
let source: CachedConfigSource;
let store: PostgresCallStore;

beforeAll(async () => {
  initializeLogger({ pretty: false, level: testLogLevel() });
  [db, openai, livekit] = await Promise.all([createTestDatabase(), startFakeOpenAI(), FakeLiveKit.start()]);
  const target = new URL(db.url);
  proxy = await startTcpProxy({ host: target.hostname, port: Number(target.port) });
  // The config comes straight from the database: only the call's writes meet the outage.
  source = createConfigSource({ kind: 'postgres', databaseUrl: db.url }, { reconcileIntervalMs: 0 });
  await source.start();
  store = new PostgresCallStore({ databaseUrl: proxy.rewrite(db.url), timeoutMs: 500, connectTimeoutMs: 300 });
});
afterAll(async () => {
  await proxy.setMode({ kind: 'pass' });
  await source.close();
  await store.close();
  await proxy.close();
  await Promise.all([db.close(), openai.close(), livekit.close()]);
});

describe('call outcomes while the database is away', () => {
  it('writes the turns, the message and the analysis once the database is back, and call.ended carries them', async () => {
    const agent = await seedAgent(db, { outcomes: true });
    const owner = userPersona(agent.ownerId, 'owner@example.test');
    await createEndpoint(db, owner, { events: ['call.ended'] });
    openai.setScript((req) => {
      if (req.tools.some((t) => t.function.name === ANALYSIS_TOOL)) {
        return {
          toolCalls: [{ name: ANALYSIS_TOOL, args: { summary: 'Bo left a message.', outcome: 'message_taken' } }],
        };
      }
      if (req.lastToolOutput !== null) return { text: 'Saved.' };
      return {
        toolCalls: [
          {
            name: TAKE_MESSAGE_TOOL,
            args: { caller_name: 'Bo', callback_number: '', message: 'The gate code changed.', urgent: false },
          },
        ],
      };
    });
    const writes = new DurableWrites(FAST_RETRIES);
    const { info, controls } = fakeLiveKitCall(livekit, agent.e164);
    const providers = textProviders({ openaiApiKey: openai.apiKey, openaiBaseUrl: openai.baseUrl });
    const call = await runCall(
      info,
      { configSource: source, callStore: store, callWrites: writes, providers, controls, logger: log() },
      {
        callRecord: { endWaitMs: 300, heartbeatIntervalMs: 100 },
        transcript: { flushIntervalMs: 100 },
        messageWaitMs: 100,
      },
    );
    const callId = (await call.recorded)!;

    await proxy.setMode({ kind: 'refuse' });
    await call.session.run({ userInput: 'Leave a message for the owner' }).wait();
    expect(openai.requests.at(-1)!.lastToolOutput).toContain('Message saved');
    await call.end('agent_hangup');
    await call.finished;
    expect(await call.analyzed).toMatchObject({ status: 'done' });
    expect(writes.pending).toBeGreaterThan(0);
    const [during] = await db.sql`select ended_at, analysis_status from public.calls where id = ${callId}`;
    expect(during).toEqual({ ended_at: null, analysis_status: 'pending' });
    expect(await db.sql`select id from public.messages where call_id = ${callId}`).toEqual([]);

    await proxy.setMode({ kind: 'pass' });
    expect(await writes.drain(10_000)).toBe(true);
    const [row] = await db.sql`select end_reason, analysis_status, outcome from public.calls where id = ${callId}`;
    expect(row).toEqual({ end_reason: 'agent_hangup', analysis_status: 'done', outcome: 'message_taken' });
    const [message] =
      await db.sql`select caller_name, callback_number, body from public.messages where call_id = ${callId}`;
    expect(message).toEqual({ caller_name: 'Bo', callback_number: '+15559870000', body: 'The gate code changed.' });
    const turns = await db.sql`select seq, role, text from public.call_turns where call_id = ${callId} order by seq`;
    expect(turns.map((t) => t.text || t.role)).toEqual(['Hello!', 'Leave a message for the owner', 'tool', 'Saved.']);
    const [event] =
      await db.sql`select data from public.webhook_events where type = 'call.ended' and data -> 'call' ->> 'id' = ${callId}`;
    expect(event!.data.transcript.map((t: { seq: number }) => t.seq)).toEqual(turns.map((t) => t.seq));
    expect(event!.data.messages).toHaveLength(1);
  }, 30_000);
});
