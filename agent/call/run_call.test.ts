import { initializeLogger, log } from '@livekit/agents';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { FakeLiveKit } from '../../test/fakes/livekit.ts';
import { type FakeOpenAI, startFakeOpenAI } from '../../test/fakes/openai.ts';
import { MemoryCallStore, MemoryConfigSource, RecordingControls, testConfig } from '../testing/memory_backends.ts';
import { textProviders } from '../testing/text_providers.ts';
import {
  BUILT_IN_DEFAULT_VOICE_ID,
  PROVIDER_APOLOGY,
  TRANSFER_FAILED,
  UNKNOWN_NUMBER_MESSAGE,
} from './fallback.ts';
import { liveKitCallControls } from './call_controls.ts';
import { GENERIC_RECEPTIONIST_PROMPT } from './instructions.ts';
import { type CallInfo, runCall } from './run_call.ts';

const DIALED = '+15551230001';
const CALLER = '+15559870000';

function info(dialed: string | null = DIALED): CallInfo {
  return { roomName: `call-_${CALLER}_abc`, callId: 'SCL_test', dialedNumber: dialed, callerNumber: CALLER, trunkId: 'ST_1', dispatchRuleId: 'SDR_1' };
}

let openai: FakeOpenAI;
let source: MemoryConfigSource;
let store: MemoryCallStore;
let controls: RecordingControls;

beforeAll(async () => {
  initializeLogger({ pretty: false, level: 'error' });
  openai = await startFakeOpenAI();
});
afterAll(() => openai.close());
beforeEach(() => {
  source = new MemoryConfigSource();
  store = new MemoryCallStore();
  controls = new RecordingControls();
  openai.requests.length = 0;
  openai.setScript(() => ({ text: 'Okay.' }));
});

function deps() {
  return {
    configSource: source,
    callStore: store,
    providers: textProviders({ openaiApiKey: openai.apiKey, openaiBaseUrl: openai.baseUrl }),
    controls,
    logger: log(),
  };
}

function assistantTexts(session: { history: { items: Array<{ type: string; role?: string; textContent?: string }> } }) {
  return session.history.items.filter((i) => i.type === 'message' && i.role === 'assistant').map((i) => i.textContent);
}

describe('a call to a configured number', () => {
  it('greets with the configured greeting, answers with the owner prompt and the caller number in context', async () => {
    source.set(DIALED, testConfig());
    openai.setScript(() => ({ text: 'We fix leaks all day.' }));
    const call = await runCall(info(), deps());
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

  it('ends the call with a goodbye when the LLM calls end_call, and records it', async () => {
    source.set(DIALED, testConfig());
    openai.setScript((req) => (req.lastToolOutput === null ? { toolCalls: [{ name: 'end_call', args: {} }] } : { text: 'Goodbye, have a great day!' }));
    const call = await runCall(info(), deps());
    await call.session.run({ userInput: "That's all, bye." }).wait();
    const outcome = await call.finished;
    expect(outcome.reason).toBe('agent_hangup');
    expect(assistantTexts(call.session)).toContain('Goodbye, have a great day!');
    expect(controls.hangUps).toBeGreaterThan(0);
    const row = store.calls.get(outcome.callRowId!)!;
    expect(row).toMatchObject({ end_reason: 'agent_hangup', turns: 1, config_source: 'database', config_version: 1, llm_prompt_tokens: 84, llm_completion_tokens: 14 });
  });

  it('says the number is not in service and hangs up for an unknown number', async () => {
    const call = await runCall(info('+15550000000'), deps());
    const outcome = await call.finished;
    expect(outcome.reason).toBe('unknown_number');
    expect(assistantTexts(call.session)).toEqual([UNKNOWN_NUMBER_MESSAGE]);
    expect(controls.hangUps).toBe(1);
    expect(openai.requests).toHaveLength(0);
  });
});

describe('transfers', () => {
  const withTransfer = () => testConfig({ transfer_number: '+15557770000' });
  const transferScript = (req: { lastToolOutput: string | null }) =>
    req.lastToolOutput === null ? { toolCalls: [{ name: 'transfer_call', args: { reason: 'wants a person' } }] } : { text: 'Connecting you now.' };

  it('transfers the caller to the transfer number after saying so (real livekit-server-sdk, LiveKit fake)', async () => {
    const livekit = await FakeLiveKit.start();
    try {
      const room = livekit.addCall({ room: info().roomName, caller: CALLER, called: DIALED, withAgent: true });
      const liveKitControls = liveKitCallControls({
        api: { url: livekit.url.replace(/^http/, 'ws'), apiKey: livekit.apiKey, apiSecret: livekit.apiSecret },
        roomName: room,
        participantIdentity: `sip_${CALLER}`,
      });
      source.set(DIALED, withTransfer());
      openai.setScript(transferScript);
      const call = await runCall(info(), { ...deps(), controls: liveKitControls });
      await call.session.run({ userInput: 'Can I talk to a person?' }).wait();
      const outcome = await call.finished;
      expect(outcome.reason).toBe('transferred');
      expect(assistantTexts(call.session)).toContain('Connecting you now.');
      expect(livekit.transfers).toEqual([
        expect.objectContaining({ room, participantIdentity: `sip_${CALLER}`, transferTo: 'tel:+15557770000', playDialtone: true, ringingTimeoutS: 30 }),
      ]);
      // REFER first, then the room is deleted (the caller has already left it).
      expect(livekit.requests.map((r) => r.method)).toEqual(['TransferSIPParticipant', 'DeleteRoom']);
      expect(livekit.rooms.has(room)).toBe(false);
      expect([...store.calls.values()]).toEqual([expect.objectContaining({ end_reason: 'transferred' })]);
    } finally {
      await livekit.close();
    }
  });

  it('keeps the caller on the line with an apology when the transfer fails', async () => {
    source.set(DIALED, withTransfer());
    openai.setScript(transferScript);
    controls.failTransfer = true;
    const call = await runCall(info(), deps());
    await call.session.run({ userInput: 'Can I talk to a person?' }).wait();
    await waitFor(() => assistantTexts(call.session).includes(TRANSFER_FAILED));
    expect(call.session.agentState).not.toBe('initializing');
    await call.end('agent_hangup');
    expect((await call.finished).reason).toBe('agent_hangup');
  });

  it('offers no transfer tool when the config has no transfer number', async () => {
    source.set(DIALED, testConfig());
    const call = await runCall(info(), deps());
    await call.session.run({ userInput: 'Hello?' }).wait();
    expect(openai.requests[0]!.tools.map((t) => t.function.name)).toEqual(['end_call']);
    await call.end('agent_hangup');
    await call.finished;
  });
});

describe('never silent', () => {
  it('answers with the generic receptionist in the default voice when the database is unreachable', async () => {
    source.unreachable = true;
    const call = await runCall(info(), deps());
    expect(call.callConfig).toMatchObject({ kind: 'agent', origin: 'default', voiceId: BUILT_IN_DEFAULT_VOICE_ID });
    await call.session.run({ userInput: 'Hi' }).wait();
    expect(openai.requests[0]!.messages[0]!.content).toContain(GENERIC_RECEPTIONIST_PROMPT);
    await call.end('agent_hangup');
    const outcome = await call.finished;
    expect(store.calls.get(outcome.callRowId!)).toMatchObject({ config_source: 'default', owner_id: null, agent_config_id: null });
  });

  it('apologizes and hangs up when the LLM fails for good', async () => {
    source.set(DIALED, testConfig({ greeting: '' }));
    openai.setScript(() => ({ status: 401, error: { message: 'Incorrect API key provided', type: 'invalid_request_error', code: 'invalid_api_key' } }));
    const call = await runCall(info(), deps());
    await call.session.run({ userInput: 'Hello?' }).wait().catch(() => {});
    const outcome = await call.finished;
    expect(outcome.reason).toBe('provider_error');
    expect(assistantTexts(call.session)).toContain(PROVIDER_APOLOGY);
    expect(store.calls.get(outcome.callRowId!)!.details).toMatchObject({ provider_error: { type: 'llm_error' } });
  });

  it('retries a failing LLM as the framework allows before apologizing', async () => {
    source.set(DIALED, testConfig({ greeting: '' }));
    openai.setScript(() => ({ status: 500, error: { message: 'The server had an error', type: 'server_error', code: null } }));
    const call = await runCall(info(), { ...deps() }, { connOptions: { llmConnOptions: { maxRetry: 2, retryIntervalMs: 20, timeoutMs: 2000 } } });
    await call.session.run({ userInput: 'Hello?' }).wait().catch(() => {});
    expect((await call.finished).reason).toBe('provider_error');
    expect(openai.requests).toHaveLength(3);
  });
});

describe('hot reload', () => {
  it('applies a prompt change from the next turn and a model change to the next request', async () => {
    source.set(DIALED, testConfig({ greeting: '' }));
    const call = await runCall(info(), deps());
    await call.session.run({ userInput: 'First question' }).wait();
    source.set(DIALED, testConfig({ greeting: '', version: 2, system_prompt: 'You answer for Zenith Dental.', llm_model: 'gpt-4.1-mini' }));
    await call.configApplied();
    await call.session.run({ userInput: 'Second question' }).wait();
    const [first, second] = openai.requests;
    expect(first!.messages[0]!.content).toContain('Acme Plumbing');
    expect(second!.messages[0]!.content).toContain('Zenith Dental');
    expect(first!.model).toBe('gpt-4o-mini');
    expect(second!.model).toBe('gpt-4.1-mini');
    await call.end('agent_hangup');
    const outcome = await call.finished;
    expect(store.calls.get(outcome.callRowId!)!.details).toMatchObject({ config_changes: [{ version: 2, changed: expect.arrayContaining(['system_prompt', 'llm_model']) }] });
  });

  it('adds the transfer tool when a transfer number appears, and ignores older versions', async () => {
    source.set(DIALED, testConfig({ greeting: '', version: 3 }));
    const call = await runCall(info(), deps());
    source.set(DIALED, testConfig({ greeting: '', version: 2, system_prompt: 'stale' }));
    source.set(DIALED, testConfig({ greeting: '', version: 4, transfer_number: '+15557770000' }));
    await call.configApplied();
    await call.session.run({ userInput: 'Hi' }).wait();
    const request = openai.requests[0]!;
    expect(request.tools.map((t) => t.function.name).sort()).toEqual(['end_call', 'transfer_call']);
    expect(request.messages[0]!.content).not.toContain('stale');
    await call.end('agent_hangup');
    await call.finished;
  });
});

async function waitFor(check: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
