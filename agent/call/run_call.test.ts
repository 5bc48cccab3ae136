import { initializeLogger, log } from '@livekit/agents';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type FakeOpenAI, startFakeOpenAI } from '../../test/fakes/openai.ts';
import { MemoryCallStore, MemoryConfigSource, RecordingControls, testConfig } from '../testing/memory_backends.ts';
import { textProviders } from '../testing/text_providers.ts';
import { UNKNOWN_NUMBER_MESSAGE } from './fallback.ts';
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
  initializeLogger({ pretty: false, level: 'warn' });
  openai = await startFakeOpenAI();
});
afterAll(() => openai.close());
beforeEach(() => {
  source = new MemoryConfigSource();
  store = new MemoryCallStore();
  controls = new RecordingControls();
  openai.requests.length = 0;
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
