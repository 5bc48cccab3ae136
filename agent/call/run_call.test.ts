// The call flow on the real pieces: the Postgres config source and call store on the embedded
// test database (configs arranged and changed in SQL), the real OpenAI plugin on the local Chat
// Completions fake, and the real livekit-server-sdk hanging up and transferring through the
// LiveKit Twirp fake. Cases that need the Supabase source or a cut database connection are in
// run_call_db.test.ts.
import { initializeLogger, log } from '@livekit/agents';
import { testLogLevel } from '../testing/test_log_level.ts';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../../test/db/harness.ts';
import { FakeLiveKit } from '../../test/fakes/livekit.ts';
import { type FakeOpenAI, startFakeOpenAI } from '../../test/fakes/openai.ts';
import { eventually, seedAgent, testNumber, type SeedAgentOptions } from '../config/_test_fixtures.ts';
import { fakeLiveKitCall, TEST_CALLER as CALLER } from '../testing/fake_livekit_call.ts';
import { openPostgresBackends, type PostgresBackends } from '../testing/postgres_backends.ts';
import { textProviders } from './text_providers.ts';
import { PROVIDER_APOLOGY, UNKNOWN_NUMBER_MESSAGE } from './fallback.ts';
import { runCall, type RunCallOptions } from './run_call.ts';

const ACME = { prompt: 'You answer for Acme Plumbing.', greeting: 'Thanks for calling Acme Plumbing!' };

let db: TestDatabase;
let openai: FakeOpenAI;
let livekit: FakeLiveKit;
let backends: PostgresBackends;

beforeAll(async () => {
  initializeLogger({ pretty: false, level: testLogLevel() });
  [db, openai, livekit] = await Promise.all([createTestDatabase(), startFakeOpenAI(), FakeLiveKit.start()]);
  backends = await openPostgresBackends(db.url);
});
afterAll(async () => {
  await backends.close();
  await Promise.all([db.close(), openai.close(), livekit.close()]);
});
beforeEach(() => {
  openai.requests.length = 0;
  openai.setScript(() => ({ text: 'Okay.' }));
  livekit.requests.length = 0;
});

/** A SIP caller in a fresh LiveKit room dialing `dialed`, answered by the call flow. */
function callFor(dialed: string, options?: RunCallOptions) {
  const { roomName, info, controls } = fakeLiveKitCall(livekit, dialed, { withAgent: true });
  const deps = {
    configSource: backends.source,
    callStore: backends.store,
    providers: textProviders({ openaiApiKey: openai.apiKey, openaiBaseUrl: openai.baseUrl }),
    controls,
    logger: log(),
  };
  return { roomName, call: runCall(info, deps, options) };
}

async function callRow(id: string | null) {
  const [row] = await db.sql`select * from public.calls where id = ${id}`;
  return row!;
}

function assistantTexts(session: { history: { items: Array<{ type: string; role?: string; textContent?: string }> } }) {
  return session.history.items.filter((i) => i.type === 'message' && i.role === 'assistant').map((i) => i.textContent);
}

const seed = (options: SeedAgentOptions = {}) => seedAgent(db, { ...ACME, ...options });

describe('a call to a configured number', () => {
  it('greets with the configured greeting, answers with the owner prompt and the caller number in context', async () => {
    const agent = await seed();
    openai.setScript(() => ({ text: 'We fix leaks all day.' }));
    const call = await callFor(agent.e164).call;
    const result = await call.session.run({ userInput: 'Do you fix leaks?' }).wait();
    result.expect.containsMessage({ role: 'assistant' });
    expect(assistantTexts(call.session)).toEqual(['Thanks for calling Acme Plumbing!', 'We fix leaks all day.']);
    const system = openai.requests[0]!.messages[0]!;
    expect(system.content).toContain('You answer for Acme Plumbing.');
    expect(system.content).toContain(CALLER);
    expect(openai.requests[0]!.model).toBe('gpt-4o-mini');
    await call.end('agent_hangup');
    await call.finished;
  });

  it('ends the call with a goodbye when the LLM calls end_call, deletes the room, and records it', async () => {
    const agent = await seed();
    openai.setScript((req) =>
      req.lastToolOutput === null
        ? { toolCalls: [{ name: 'end_call', args: {} }] }
        : { text: 'Goodbye, have a great day!' },
    );
    const { roomName, call: started } = callFor(agent.e164);
    const call = await started;
    await call.session.run({ userInput: "That's all, bye." }).wait();
    const outcome = await call.finished;
    expect(outcome.reason).toBe('agent_hangup');
    expect(assistantTexts(call.session)).toContain('Goodbye, have a great day!');
    expect(livekit.rooms.has(roomName)).toBe(false);
    expect(await callRow(outcome.callRowId)).toMatchObject({
      end_reason: 'agent_hangup',
      turns: 1,
      config_source: 'database',
      config_version: 1,
      agent_config_id: agent.configId,
      owner_id: agent.ownerId,
      llm_prompt_tokens: 84,
      llm_completion_tokens: 14,
    });
  });

  it('says the number is not in service and hangs up for an unknown number', async () => {
    const { roomName, call: started } = callFor(testNumber());
    const call = await started;
    const outcome = await call.finished;
    expect(outcome.reason).toBe('unknown_number');
    expect(assistantTexts(call.session)).toEqual([UNKNOWN_NUMBER_MESSAGE]);
    expect(livekit.requests.filter((r) => r.method === 'DeleteRoom')).toHaveLength(1);
    expect(livekit.rooms.has(roomName)).toBe(false);
    expect(openai.requests).toHaveLength(0);
    expect(await callRow(outcome.callRowId)).toMatchObject({ end_reason: 'unknown_number', agent_config_id: null });
  });
});

describe('transfers', () => {
  const transferScript = (req: { lastToolOutput: string | null }) =>
    req.lastToolOutput === null
      ? { toolCalls: [{ name: 'transfer_call', args: { reason: 'wants a person' } }] }
      : { text: 'Connecting you now.' };

  it('transfers the caller to the transfer number after saying so', async () => {
    const agent = await seed({ transferNumber: '+15557770000' });
    openai.setScript(transferScript);
    const { roomName, call: started } = callFor(agent.e164);
    const call = await started;
    await call.session.run({ userInput: 'Can I talk to a person?' }).wait();
    const outcome = await call.finished;
    expect(outcome.reason).toBe('transferred');
    expect(assistantTexts(call.session)).toContain('Connecting you now.');
    expect(livekit.transfers.filter((t) => t.room === roomName)).toEqual([
      expect.objectContaining({
        room: roomName,
        participantIdentity: `sip_${CALLER}`,
        transferTo: 'tel:+15557770000',
        playDialtone: true,
        ringingTimeoutS: 30,
      }),
    ]);
    // REFER first, then the room is deleted (the caller has already left it).
    expect(livekit.requests.map((r) => r.method)).toEqual(['TransferSIPParticipant', 'DeleteRoom']);
    expect(livekit.rooms.has(roomName)).toBe(false);
    expect(await callRow(outcome.callRowId)).toMatchObject({ end_reason: 'transferred' });
  });

  it('offers no transfer tool when the config has no transfer number', async () => {
    const agent = await seed();
    const call = await callFor(agent.e164).call;
    await call.session.run({ userInput: 'Hello?' }).wait();
    expect(openai.requests[0]!.tools.map((t) => t.function.name)).toEqual(['end_call']);
    await call.end('agent_hangup');
    await call.finished;
  });
});

describe('never silent', () => {
  it('apologizes and hangs up when the LLM fails for good', async () => {
    const agent = await seed({ greeting: '' });
    openai.setScript(() => ({
      status: 401,
      error: { message: 'Incorrect API key provided', type: 'invalid_request_error', code: 'invalid_api_key' },
    }));
    const { roomName, call: started } = callFor(agent.e164);
    const call = await started;
    await call.session
      .run({ userInput: 'Hello?' })
      .wait()
      .catch(() => {});
    const outcome = await call.finished;
    expect(outcome.reason).toBe('provider_error');
    expect(assistantTexts(call.session)).toContain(PROVIDER_APOLOGY);
    expect(livekit.rooms.has(roomName)).toBe(false);
    expect((await callRow(outcome.callRowId)).details).toMatchObject({ provider_error: { type: 'llm_error' } });
  });

  it('retries a failing LLM as the framework allows before apologizing', async () => {
    const agent = await seed({ greeting: '' });
    openai.setScript(() => ({
      status: 500,
      error: { message: 'The server had an error', type: 'server_error', code: null },
    }));
    const call = await callFor(agent.e164, {
      connOptions: { llmConnOptions: { maxRetry: 2, retryIntervalMs: 20, timeoutMs: 2000 } },
    }).call;
    await call.session
      .run({ userInput: 'Hello?' })
      .wait()
      .catch(() => {});
    expect((await call.finished).reason).toBe('provider_error');
    expect(openai.requests).toHaveLength(3);
  });
});

describe('hot reload', () => {
  it('applies a prompt change from the next turn and a model change to the next request', async () => {
    const agent = await seed({ greeting: '' });
    const call = await callFor(agent.e164).call;
    await call.session.run({ userInput: 'First question' }).wait();
    await db.sql`update public.agent_configs set system_prompt = 'You answer for Zenith Dental.', llm_model = 'gpt-4.1-mini' where id = ${agent.configId}`;
    await eventually(() => call.currentConfig()?.version === 2);
    await call.configApplied();
    await call.session.run({ userInput: 'Second question' }).wait();
    const [first, second] = openai.requests;
    expect(first!.messages[0]!.content).toContain('Acme Plumbing');
    expect(second!.messages[0]!.content).toContain('Zenith Dental');
    expect(first!.model).toBe('gpt-4o-mini');
    expect(second!.model).toBe('gpt-4.1-mini');
    await call.end('agent_hangup');
    const outcome = await call.finished;
    expect((await callRow(outcome.callRowId)).details).toMatchObject({
      config_changes: [{ version: 2, changed: expect.arrayContaining(['system_prompt', 'llm_model']) }],
    });
  });

  it('adds the transfer tool when a transfer number appears mid-call', async () => {
    const agent = await seed({ greeting: '' });
    const call = await callFor(agent.e164).call;
    await db.sql`update public.agent_configs set transfer_number = '+15557770000' where id = ${agent.configId}`;
    await eventually(() => call.currentConfig()?.version === 2);
    await call.configApplied();
    await call.session.run({ userInput: 'Hi' }).wait();
    expect(openai.requests[0]!.tools.map((t) => t.function.name).sort()).toEqual(['end_call', 'transfer_call']);
    await call.end('agent_hangup');
    await call.finished;
  });
});
