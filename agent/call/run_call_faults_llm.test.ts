// The LLM wedged or failing mid-call, through the real OpenAI plugin on the Chat Completions
// fake, with speech through the real ElevenLabs plugin on its fake so the caller's silence can be
// measured (TimedAudioOutput). Whatever the LLM does, the caller hears an apology within 5 s of
// the end of their turn, then the hang-up, and the call is recorded as provider_error.
import { log } from '@livekit/agents';
import { type CallWorld, startCallWorld } from '../testing/call_world.ts';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { TestDatabase } from '../../test/db/harness.ts';
import type { ElevenLabsFake } from '../../test/fakes/elevenlabs.ts';
import type { FakeLiveKit } from '../../test/fakes/livekit.ts';
import type { FakeOpenAI, FakeOpenAIReply } from '../../test/fakes/openai.ts';
import { ADAM, seedAgent } from '../config/_test_fixtures.ts';
import { fakeLiveKitCall } from '../testing/fake_livekit_call.ts';
import type { PostgresBackends } from '../testing/postgres_backends.ts';
import { TimedAudioOutput } from '../testing/silence_meter.ts';
import { textProviders } from './text_providers.ts';
import { PROVIDER_APOLOGY } from './fallback.ts';
import { runCall } from './run_call.ts';

const UNPLANNED_SILENCE_LIMIT_MS = 5_000;
const REPLY = 'Sure, let me check our opening hours for you. We are open from nine to five.';

let db: TestDatabase;
let openai: FakeOpenAI;
let eleven: ElevenLabsFake;
let livekit: FakeLiveKit;
let backends: PostgresBackends;

let world: CallWorld;

beforeAll(async () => {
  world = await startCallWorld();
  ({ db, openai, eleven, livekit, backends } = world);
});
afterAll(() => world.close());
beforeEach(() => {
  eleven.reset();
  openai.setRefusing(false);
});

/** A call that waits for the caller (no greeting); one caller turn; the hang-up timed. */
async function callerAsksOnce(reply: FakeOpenAIReply) {
  openai.setScript(() => reply);
  const agent = await seedAgent(db, { voiceId: ADAM, greeting: '' });
  const { roomName, info, controls } = fakeLiveKitCall(livekit, agent.e164);
  let hungUpAt: number | null = null;
  const timedControls = { ...controls, hangUp: () => ((hungUpAt ??= performance.now()), controls.hangUp()) };
  const output = new TimedAudioOutput();
  const providers = textProviders({
    openaiApiKey: openai.apiKey,
    openaiBaseUrl: openai.baseUrl,
    eleven: { apiKey: eleven.apiKey, baseUrl: eleven.apiBaseUrl },
  });
  const call = await runCall(
    info,
    { configSource: backends.source, callStore: backends.store, providers, controls: timedControls, logger: log() },
    { audioOutput: output, maxCallDurationMs: 60_000 },
  );
  const turnEnd = performance.now();
  await call.session
    .run({ userInput: 'When are you open?' })
    .wait()
    .catch(() => {});
  const outcome = await call.finished;
  return { outcome, output, turnEnd, roomName, hungUpAt: hungUpAt! };
}

const apologized = () =>
  eleven.wsConnections.some((c) =>
    Object.values(c.spoken).some((t) => t.includes("we're having technical difficulties")),
  );

describe('the LLM wedged or failing (real deadlines)', () => {
  it.each([
    ['accepts the request and never answers', { silent: true }],
    ['sends its first chunks, then stalls', { text: REPLY, stallAfterChunks: 2 }],
    ['resets the connection after its first chunks', { text: REPLY, resetAfterChunks: 2 }],
  ] as const)(
    'apologizes within 5 s and hangs up when the LLM %s',
    async (_what, reply) => {
      const { outcome, output, turnEnd, roomName, hungUpAt } = await callerAsksOnce(reply);
      expect(outcome.reason).toBe('provider_error');
      expect(apologized()).toBe(true);
      expect(output.firstAudioAfter(turnEnd)! - turnEnd).toBeLessThanOrEqual(UNPLANNED_SILENCE_LIMIT_MS);
      expect(output.longestSilenceMs(turnEnd, hungUpAt)).toBeLessThanOrEqual(UNPLANNED_SILENCE_LIMIT_MS);
      expect(livekit.rooms.has(roomName)).toBe(false);
      const [row] = await db.sql`select end_reason, details from public.calls where id = ${outcome.callRowId}`;
      expect(row).toMatchObject({ end_reason: 'provider_error', details: { provider_error: { type: 'llm_error' } } });
    },
    30_000,
  );

  it('apologizes within 5 s and hangs up when the LLM refuses every connection', async () => {
    openai.setRefusing(true);
    const { outcome, output, turnEnd, hungUpAt } = await callerAsksOnce({ text: REPLY });
    expect(outcome.reason).toBe('provider_error');
    expect(PROVIDER_APOLOGY).toContain("we're having technical difficulties");
    expect(apologized()).toBe(true);
    expect(output.longestSilenceMs(turnEnd, hungUpAt)).toBeLessThanOrEqual(UNPLANNED_SILENCE_LIMIT_MS);
  }, 30_000);
});
