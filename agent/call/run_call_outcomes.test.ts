// What a call leaves for its owner, through the real stack: a text-mode call on the OpenAI fake
// (the real OpenAI plugin), the real Postgres config source and call store on the test database,
// the LiveKit fake for the hang-up, and a dispatcher delivering webhooks to a receiver on
// 127.0.0.1 that verifies every signature with standardwebhooks. The model takes a message with
// take_message; the call leaves the message, its transcript, an analysis, and a call.ended
// delivery carrying all three. Also: tool errors the model can recover from, and an analysis
// that fails or runs out of time leaving the record complete.
import { initializeLogger, log } from '@livekit/agents';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../../test/db/harness.ts';
import { userPersona } from '../../test/db/personas.ts';
import { createEndpoint } from '../../test/db/webhooks.ts';
import { FakeLiveKit } from '../../test/fakes/livekit.ts';
import {
  type FakeOpenAI,
  type FakeOpenAIScript,
  type RecordedChatRequest,
  startFakeOpenAI,
} from '../../test/fakes/openai.ts';
import { startWebhookReceiver, type WebhookReceiver } from '../../test/fakes/webhook_receiver.ts';
import { type Dispatcher, startDispatcher } from '../../dispatcher/dispatcher.ts';
import { createLog } from '../../dispatcher/log.ts';
import { eventually, seedAgent } from '../config/_test_fixtures.ts';
import { fakeLiveKitCall } from '../testing/fake_livekit_call.ts';
import { openPostgresBackends, type PostgresBackends } from '../testing/postgres_backends.ts';
import { testLogLevel } from '../testing/test_log_level.ts';
import { ANALYSIS_TOOL } from './post_call_analysis.ts';
import { runCall, type RunCallOptions } from './run_call.ts';
import { TAKE_MESSAGE_TOOL } from './take_message.ts';
import { textProviders } from './text_providers.ts';

let db: TestDatabase;
let openai: FakeOpenAI;
let livekit: FakeLiveKit;
let backends: PostgresBackends;
let dispatcher: Dispatcher;
let receiver: WebhookReceiver;

beforeAll(async () => {
  initializeLogger({ pretty: false, level: testLogLevel() });
  [db, openai, livekit, receiver] = await Promise.all([
    createTestDatabase(),
    startFakeOpenAI(),
    FakeLiveKit.start(),
    startWebhookReceiver(),
  ]);
  backends = await openPostgresBackends(db.url);
  dispatcher = await startDispatcher({
    databaseUrl: db.url,
    allowHttp: true,
    allowPrivate: true,
    timeoutMs: 2_000,
    pollIntervalMs: 100,
    log: createLog('silent'),
  });
});
afterAll(async () => {
  await dispatcher.stop();
  await backends.close();
  await Promise.all([db.close(), openai.close(), livekit.close(), receiver.close()]);
});

const ANALYSIS = { summary: 'Ann Lee asked to be called back about a leak.', outcome: 'message_taken' };
const isAnalysis = (req: RecordedChatRequest) => req.tools.some((t) => t.function.name === ANALYSIS_TOOL);

/** The conversation: take_message on "message", end_call on "Bye"; the analysis as scripted. */
function script(
  takeMessageArgs: Record<string, unknown>,
  analysis: ReturnType<FakeOpenAIScript> = { toolCalls: [{ name: ANALYSIS_TOOL, args: ANALYSIS }] },
): FakeOpenAIScript {
  return (req) => {
    if (isAnalysis(req)) return analysis;
    if (req.lastToolOutput !== null)
      return { text: req.lastToolOutput.includes('Callback number') ? 'Done. I have +1 555 123 4567.' : 'Goodbye!' };
    if (req.lastUser.includes('message')) return { toolCalls: [{ name: TAKE_MESSAGE_TOOL, args: takeMessageArgs }] };
    if (req.lastUser === 'Bye') return { toolCalls: [{ name: 'end_call', args: {} }] };
    return { text: 'How can I help?' };
  };
}

async function startCall(options: RunCallOptions = {}) {
  const agent = await seedAgent(db, { outcomes: true });
  const { info, controls } = fakeLiveKitCall(livekit, agent.e164);
  const providers = textProviders({ openaiApiKey: openai.apiKey, openaiBaseUrl: openai.baseUrl });
  const call = await runCall(
    info,
    { configSource: backends.source, callStore: backends.store, providers, controls, logger: log() },
    options,
  );
  return { agent, call };
}

const turnsOf = (callId: string) =>
  db.sql`select seq, role, text, interrupted, truncated, started_ms, ended_ms, tool_name, tool_arguments, tool_result from public.call_turns where call_id = ${callId} order by seq`;
const callRow = async (callId: string) => (await db.sql`select * from public.calls where id = ${callId}`)[0]!;

describe('a call where the caller leaves a message', () => {
  it('files the message, writes the transcript and the analysis, and delivers a signed call.ended carrying them', async () => {
    const { agent, call } = await startCall();
    const endpoint = await createEndpoint(db, userPersona(agent.ownerId, 'owner@example.test'), {
      url: receiver.url,
      events: ['call.ended', 'message.created'],
    });
    receiver.secrets = [endpoint.secret];
    openai.setScript(
      script({
        caller_name: 'Ann Lee',
        callback_number: '(555) 123-4567',
        message: 'Please call back about the leak.',
        urgent: true,
      }),
    );
    await call.session.run({ userInput: 'I would like to leave a message' }).wait();
    await call.session.run({ userInput: 'Bye' }).wait();
    const { callRowId } = await call.finished;
    expect(await call.analyzed).toMatchObject({ status: 'done', ...ANALYSIS });

    const [message] =
      await db.sql`select caller_name, callback_number, body, urgent, owner_id from public.messages where call_id = ${callRowId}`;
    expect(message).toEqual({
      caller_name: 'Ann Lee',
      callback_number: '+15551234567',
      body: 'Please call back about the leak.',
      urgent: true,
      owner_id: agent.ownerId,
    });
    const toolAnswer = openai.requests.find((r) => r.lastToolOutput?.includes('Callback number'))!.lastToolOutput!;
    expect(toolAnswer).toContain('+15551234567');

    const analysed = await waitFor(
      () => callRow(callRowId!),
      (r) => r.analysis_status === 'done',
    );
    expect(analysed).toMatchObject({
      summary: ANALYSIS.summary,
      outcome: 'message_taken',
      analysis_error: null,
      end_reason: 'agent_hangup',
    });
    // Four conversation requests (greeting needs none) and the analysis, 42 prompt tokens each.
    expect(analysed.llm_prompt_tokens).toBe(42 * 5);

    const turns = await turnsOf(callRowId!);
    expect(turns.map((t) => [t.seq, t.role, t.role === 'tool' ? t.tool_name : t.text])).toEqual([
      [0, 'agent', 'Hello!'],
      [1, 'caller', 'I would like to leave a message'],
      [2, 'tool', TAKE_MESSAGE_TOOL],
      [3, 'agent', 'Done. I have +1 555 123 4567.'],
      [4, 'caller', 'Bye'],
      [5, 'tool', 'end_call'],
      [6, 'agent', 'Goodbye!'],
    ]);
    expect(turns[2]).toMatchObject({
      tool_arguments: { caller_name: 'Ann Lee', callback_number: '(555) 123-4567', urgent: true },
      tool_result: { is_error: false },
    });
    for (const turn of turns) expect(turn.ended_ms).toBeGreaterThanOrEqual(turn.started_ms);

    const delivered = await receiver.waitFor(2, 10_000);
    expect(delivered.every((d) => d.verifiedWith === 0)).toBe(true);
    const ended = delivered.find((d) => d.payload.type === 'call.ended')!.payload.data;
    expect(ended.call).toMatchObject({
      id: callRowId,
      summary: ANALYSIS.summary,
      outcome: 'message_taken',
      analysis_status: 'done',
    });
    expect(ended.analysis).toEqual({
      status: 'done',
      summary: ANALYSIS.summary,
      outcome: 'message_taken',
      error: null,
    });
    expect(ended.messages).toEqual([
      expect.objectContaining({
        caller_name: 'Ann Lee',
        callback_number: '+15551234567',
        body: 'Please call back about the leak.',
        urgent: true,
      }),
    ]);
    expect(ended.transcript.map((t: { seq: number; text: string }) => [t.seq, t.text])).toEqual(
      turns.map((t) => [t.seq, t.text]),
    );
    expect(delivered.find((d) => d.payload.type === 'message.created')!.payload.data.message).toMatchObject({
      callback_number: '+15551234567',
    });
  }, 30_000);
});

describe('the transcript', () => {
  it('cuts a turn over 8000 characters and marks it truncated', async () => {
    const { call } = await startCall();
    openai.setScript(() => ({ text: 'Got it.' }));
    await call.session.run({ userInput: `${'é'.repeat(8_500)} end` }).wait();
    await call.end('agent_hangup');
    const { callRowId } = await call.finished;
    const turns = await waitFor(
      () => turnsOf(callRowId!),
      (rows) => rows.some((t) => t.text === 'Got it.'),
    );
    const long = turns.find((t) => t.role === 'caller')!;
    expect(long).toMatchObject({ truncated: true, text: 'é'.repeat(8_000) });
    expect(turns.filter((t) => t.role !== 'caller').every((t) => !t.truncated)).toBe(true);
  }, 30_000);
});

describe('take_message given what it cannot file', () => {
  it.each([
    [
      'a number that cannot be called back',
      { caller_name: 'Bo', callback_number: 'twelve', message: 'Call me.', urgent: false },
      'not a phone number',
    ],
    [
      'an empty message',
      { caller_name: 'Bo', callback_number: '', message: '   ', urgent: false },
      'The message is empty',
    ],
  ])(
    'answers %s with a tool error the model can act on, files nothing, and the call goes on',
    async (_what, args, error) => {
      const { call } = await startCall();
      openai.setScript(script(args));
      await call.session.run({ userInput: 'Take a message please' }).wait();
      const toolOutput = openai.requests.at(-1)!.lastToolOutput!;
      expect(toolOutput).toContain(error);
      openai.setScript(() => ({ text: 'Still here.' }));
      await call.session.run({ userInput: 'Hello?' }).wait();
      await call.end('agent_hangup');
      const { callRowId } = await call.finished;
      await call.analyzed;
      expect(await db.sql`select id from public.messages where call_id = ${callRowId}`).toEqual([]);
      const turns = await waitFor(
        () => turnsOf(callRowId!),
        (rows) => rows.some((t) => t.text === 'Still here.'),
      );
      expect(turns.find((t) => t.role === 'tool')).toMatchObject({
        tool_name: TAKE_MESSAGE_TOOL,
        tool_result: { is_error: true },
      });
    },
    30_000,
  );
});

describe('the post-call analysis going wrong', () => {
  it.each([
    [
      'fails',
      { status: 500, error: { message: 'The server had an error', type: 'server_error', code: null } },
      {},
      /500/,
    ],
    ['runs out of time', { silent: true } as const, { analysis: { timeoutMs: 300 } }, /did not answer within 300 ms/],
  ])(
    'leaves the record complete and the analysis failed when the LLM %s',
    async (_what, reply, options: RunCallOptions, error) => {
      const { call } = await startCall(options);
      openai.setScript(script({}, reply));
      await call.session.run({ userInput: 'Bye' }).wait();
      const { callRowId } = await call.finished;
      expect(await call.analyzed).toMatchObject({ status: 'failed' });
      const row = await waitFor(
        () => callRow(callRowId!),
        (r) => r.analysis_status !== 'pending',
      );
      expect(row).toMatchObject({
        analysis_status: 'failed',
        end_reason: 'agent_hangup',
        summary: null,
        outcome: null,
      });
      expect(row.analysis_error).toMatch(error);
      expect(row.ended_at).not.toBeNull();
    },
    30_000,
  );

  it('skips the analysis when the config has it off', async () => {
    const { agent, call } = await startCall();
    await db.sql`update public.agent_configs set post_call_analysis = false where id = ${agent.configId}`;
    await eventually(() => call.currentConfig()?.post_call_analysis === false || undefined);
    openai.setScript(script({}));
    const before = openai.requests.length;
    await call.session.run({ userInput: 'Bye' }).wait();
    const { callRowId } = await call.finished;
    expect(await call.analyzed).toEqual({ status: 'skipped' });
    expect(openai.requests.slice(before).some(isAnalysis)).toBe(false);
    expect(
      await waitFor(
        () => callRow(callRowId!),
        (r) => r.analysis_status !== 'pending',
      ),
    ).toMatchObject({ analysis_status: 'skipped' });
  }, 30_000);
});

async function waitFor<T>(read: () => Promise<T>, done: (value: T) => boolean, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (done(value)) return value;
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
