// ElevenLabs wedged or failing mid-call, through the real plugin on the ElevenLabs fake's
// WebSocket, the real database and the LiveKit fake. A stuck voice counts as a TTS failure: the
// fallback voice says the sentence again; when every voice is stuck, an apology is tried and the
// call hangs up. What the caller hears is measured on a real-time timeline (TimedAudioOutput):
// never more than 5 s of silence the agent did not choose.
import { log } from '@livekit/agents';
import { type CallWorld, startCallWorld } from '../testing/call_world.ts';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { TestDatabase } from '../../test/db/harness.ts';
import type { ElevenLabsFake, FailureRule } from '../../test/fakes/elevenlabs.ts';
import type { FakeLiveKit } from '../../test/fakes/livekit.ts';
import type { FakeOpenAI } from '../../test/fakes/openai.ts';
import { ADAM, RACHEL, seedAgent } from '../config/_test_fixtures.ts';
import { fakeLiveKitCall } from '../testing/fake_livekit_call.ts';
import type { PostgresBackends } from '../testing/postgres_backends.ts';
import { TimedAudioOutput } from '../testing/silence_meter.ts';
import { textProviders } from './text_providers.ts';
import { runCall, type RunCallOptions } from './run_call.ts';

const GREETING = 'Thanks for calling Acme Plumbing, how can I help?';
const UNPLANNED_SILENCE_LIMIT_MS = 5_000;

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
beforeEach(() => eleven.reset());

/** A call answered in ADAM's voice (RACHEL is the catalog default), with the hang-up timed. */
async function startCall(failures: FailureRule[], options: RunCallOptions = {}) {
  eleven.configure({ failures });
  const agent = await seedAgent(db, { voiceId: ADAM, greeting: GREETING });
  const { roomName, info, controls } = fakeLiveKitCall(livekit, agent.e164);
  let hungUpAt: number | null = null;
  const timedControls = { ...controls, hangUp: () => ((hungUpAt ??= performance.now()), controls.hangUp()) };
  const output = new TimedAudioOutput();
  const providers = textProviders({
    openaiApiKey: openai.apiKey,
    openaiBaseUrl: openai.baseUrl,
    eleven: { apiKey: eleven.apiKey, baseUrl: eleven.apiBaseUrl },
  });
  const answeredAt = performance.now();
  const call = await runCall(
    info,
    { configSource: backends.source, callStore: backends.store, providers, controls: timedControls, logger: log() },
    { audioOutput: output, maxCallDurationMs: 60_000, ...options },
  );
  return { call, output, answeredAt, roomName, agent, hungUpAt: () => hungUpAt };
}

const spoken = (voiceId: string) =>
  eleven.wsConnections
    .filter((c) => c.voiceId === voiceId)
    .flatMap((c) => Object.values(c.spoken))
    .join(' ');
const openIssues = (configId: string) =>
  db.sql`select code from public.config_issues where subject_id = ${configId} and resolved_at is null`;

describe('the configured voice stuck: the fallback voice says the sentence again', () => {
  it.each([
    ['takes text and never answers', 'ws_silent'],
    ['sends its first audio, then stalls', 'ws_stall_after_first_audio'],
    ['resets the connection after its first audio', 'ws_reset'],
  ] as const)(
    'when ElevenLabs %s (real deadlines)',
    async (_what, kind) => {
      const { call, output, answeredAt, agent } = await startCall([{ kind, voiceId: ADAM }]);
      await expect.poll(() => spoken(RACHEL), { timeout: 10_000, interval: 20 }).toContain(GREETING);
      const fallbackAudio = await expect
        .poll(() => output.firstAudioAfter(answeredAt + 500), { timeout: 5_000, interval: 20 })
        .not.toBeNull()
        .then(() => output.heard.at(-1)!.endMs);
      expect(output.longestSilenceMs(answeredAt, fallbackAudio)).toBeLessThanOrEqual(UNPLANNED_SILENCE_LIMIT_MS);
      expect(call.voice!.activeVoiceId).toBe(RACHEL);

      // The call goes on in the fallback voice.
      openai.setScript(() => ({ text: 'We are open until five.' }));
      const turnEnd = performance.now();
      await call.session.run({ userInput: 'When are you open?' }).wait();
      await expect.poll(() => spoken(RACHEL), { timeout: 5_000, interval: 20 }).toContain('We are open until five.');
      expect(output.longestSilenceMs(turnEnd, output.heard.at(-1)!.endMs)).toBeLessThanOrEqual(
        UNPLANNED_SILENCE_LIMIT_MS,
      );
      await call.end('agent_hangup');
      const outcome = await call.finished;
      const [row] = await db.sql`select end_reason, details from public.calls where id = ${outcome.callRowId}`;
      expect(row).toMatchObject({
        end_reason: 'agent_hangup',
        details: { voice_fallback: { from: ADAM, to: RACHEL } },
      });
      // A stall is an ElevenLabs outage, not a voice the owner must replace.
      if (kind === 'ws_silent') expect(await openIssues(agent.configId)).toEqual([]);
    },
    30_000,
  );
});

describe('every ElevenLabs voice stuck: an apology is tried, then the call hangs up', () => {
  it.each([
    ['takes text and never answers', 'ws_silent'],
    ['sends its first audio, then stalls', 'ws_stall_after_first_audio'],
    ['drops the connection at the upgrade', 'ws_refuse'],
  ] as const)(
    'when ElevenLabs %s (real deadlines)',
    async (_what, kind) => {
      const { call, output, answeredAt, roomName, hungUpAt } = await startCall([{ kind }]);
      const outcome = await call.finished;
      expect(outcome.reason).toBe('provider_error');
      expect(output.longestSilenceMs(answeredAt, hungUpAt()!)).toBeLessThanOrEqual(UNPLANNED_SILENCE_LIMIT_MS);
      expect(livekit.rooms.has(roomName)).toBe(false);
      const [row] = await db.sql`select end_reason, details from public.calls where id = ${outcome.callRowId}`;
      expect(row).toMatchObject({ end_reason: 'provider_error', details: { provider_error: { type: 'tts_error' } } });
    },
    30_000,
  );
});

describe('ending a call', () => {
  it('never waits on stuck speech: the drain is cut and the caller hears the hang-up', async () => {
    // Deadlines far away, so only the bounded drain can end the stuck greeting.
    const { call, roomName, hungUpAt } = await startCall([{ kind: 'ws_silent' }], {
      deadlines: { ttsFirstAudioMs: 60_000, endDrainMs: 1_000 },
    });
    await expect.poll(() => eleven.wsConnections.length, { timeout: 5_000 }).toBeGreaterThan(0);
    const endAt = performance.now();
    await call.end('agent_hangup');
    const outcome = await call.finished;
    expect(outcome.reason).toBe('agent_hangup');
    expect(hungUpAt()! - endAt).toBeLessThanOrEqual(UNPLANNED_SILENCE_LIMIT_MS);
    expect(livekit.rooms.has(roomName)).toBe(false);
  }, 30_000);
});
