// Speech recognition wedged mid-call, through the real Deepgram plugin on the Deepgram fake: a
// stream that opens and never answers, one that answers once and stalls, one reset mid-stream,
// and one refused as unavailable (retried by the framework). The plugin notices none of the
// first three; the call does (stt_health.ts): the caller talks (a tone on the line), hears an
// apology within 5 s, then the hang-up. Speech goes through the ElevenLabs fake, measured. With
// Silero VAD on the call, as in production, the clock starts at the caller's speech (eSpeak NG),
// and loud noise that Deepgram answers with nothing does not end the call.
import { log, type VAD, type voice } from '@livekit/agents';
import * as silero from '@livekit/agents-plugin-silero';
import { type CallWorld, startCallWorld } from '../testing/call_world.ts';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { TestDatabase } from '../../test/db/harness.ts';
import type { DeepgramStreamMode, FakeDeepgram } from '../../test/fakes/deepgram.ts';
import type { ElevenLabsFake } from '../../test/fakes/elevenlabs.ts';
import type { FakeLiveKit } from '../../test/fakes/livekit.ts';
import type { FakeOpenAI } from '../../test/fakes/openai.ts';
import { ADAM, seedAgent } from '../config/_test_fixtures.ts';
import { CALLER_SAMPLE_RATE, CALLER_SENTENCES, speakSentence } from '../testing/caller_speech.ts';
import { fakeLiveKitCall } from '../testing/fake_livekit_call.ts';
import type { PostgresBackends } from '../testing/postgres_backends.ts';
import { TimedAudioOutput } from '../testing/silence_meter.ts';
import { LoopedAudioInput, whiteNoise } from '../testing/looped_audio_input.ts';
import { ToneAudioInput } from '../testing/tone_audio_input.ts';
import { createProviders } from './providers.ts';
import { runCall } from './run_call.ts';

const UNPLANNED_SILENCE_LIMIT_MS = 5_000;

let db: TestDatabase;
let openai: FakeOpenAI;
let eleven: ElevenLabsFake;
let deepgram: FakeDeepgram;
let livekit: FakeLiveKit;
let backends: PostgresBackends;

let world: CallWorld;

beforeAll(async () => {
  world = await startCallWorld();
  ({ db, openai, eleven, deepgram, livekit, backends } = world);
});
afterAll(() => world.close());
beforeEach(() => {
  eleven.reset();
  deepgram.refuseWith = null;
  deepgram.streamMode = 'transcribe';
});

/** A call that waits for the caller, who starts talking at once (a tone, and no VAD, by default). */
async function callerTalks(line: { audio?: voice.AudioInput; vad?: VAD } = {}) {
  const agent = await seedAgent(db, { voiceId: ADAM, greeting: '' });
  const { roomName, info, controls } = fakeLiveKitCall(livekit, agent.e164);
  let hungUpAt: number | null = null;
  const timedControls = { ...controls, hangUp: () => ((hungUpAt ??= performance.now()), controls.hangUp()) };
  const providers = {
    ...createProviders({
      openaiApiKey: openai.apiKey,
      openaiBaseUrl: openai.baseUrl,
      deepgramApiKey: deepgram.apiKey,
      deepgramBaseUrl: deepgram.baseUrl,
      elevenApiKey: eleven.apiKey,
      elevenBaseUrl: eleven.apiBaseUrl,
    }),
    vad: () => line.vad ?? null,
    turnDetection: () => null,
  };
  const output = new TimedAudioOutput();
  const talkingFrom = performance.now();
  const call = await runCall(
    info,
    { configSource: backends.source, callStore: backends.store, providers, controls: timedControls, logger: log() },
    { audioInput: line.audio ?? new ToneAudioInput(), audioOutput: output, maxCallDurationMs: 60_000 },
  );
  return { call, output, talkingFrom, roomName, hungUpAt: () => hungUpAt };
}

const apologized = () =>
  eleven.wsConnections.some((c) =>
    Object.values(c.spoken).some((t) => t.includes("we're having technical difficulties")),
  );

describe('speech recognition wedged (real deadlines)', () => {
  it.each([
    ['opens the stream and never answers', 'silent'],
    ['answers once, then stalls', 'stall_after_first'],
    ['resets the connection mid-stream', 'reset'],
  ] as const satisfies ReadonlyArray<readonly [string, DeepgramStreamMode]>)(
    'apologizes within 5 s of the caller talking and hangs up when Deepgram %s',
    async (_what, mode) => {
      deepgram.streamMode = mode;
      const { call, output, talkingFrom, roomName, hungUpAt } = await callerTalks();
      const outcome = await call.finished;
      expect(outcome.reason).toBe('provider_error');
      expect(apologized()).toBe(true);
      expect(output.firstAudioAfter(talkingFrom)! - talkingFrom).toBeLessThanOrEqual(UNPLANNED_SILENCE_LIMIT_MS);
      expect(output.longestSilenceMs(talkingFrom, hungUpAt()!)).toBeLessThanOrEqual(UNPLANNED_SILENCE_LIMIT_MS);
      expect(livekit.rooms.has(roomName)).toBe(false);
      const [row] = await db.sql`select end_reason, details from public.calls where id = ${outcome.callRowId}`;
      expect(row).toMatchObject({ end_reason: 'provider_error', details: { provider_error: { type: 'stt_error' } } });
    },
    30_000,
  );

  it('apologizes within 5 s and hangs up when Deepgram refuses the stream as unavailable (retried)', async () => {
    deepgram.refuseWith = 503;
    const { call, output, talkingFrom, hungUpAt } = await callerTalks();
    expect((await call.finished).reason).toBe('provider_error');
    expect(apologized()).toBe(true);
    expect(output.longestSilenceMs(talkingFrom, hungUpAt()!)).toBeLessThanOrEqual(UNPLANNED_SILENCE_LIMIT_MS);
  }, 30_000);

  it('does not mistake a healthy stream for a stalled one', async () => {
    openai.setScript(() => ({ text: 'Okay.' }));
    const { call } = await callerTalks();
    await new Promise((resolve) => setTimeout(resolve, 6_000));
    expect(call.session.history.items.some((i) => i.type === 'message' && i.role === 'user')).toBe(true);
    expect(apologized()).toBe(false);
    await call.end('agent_hangup');
    expect((await call.finished).reason).toBe('agent_hangup');
  }, 30_000);
});

describe('speech recognition health with the VAD (real deadlines)', () => {
  let vad: VAD;
  let speech: Int16Array;
  /** Loud (about -20 dBFS, ten times the loudness stand-in's bar) and no voice in it. */
  const noise = whiteNoise(2, CALLER_SAMPLE_RATE, 0.1);
  beforeAll(async () => {
    [vad, speech] = await Promise.all([silero.VAD.load(), speakSentence(CALLER_SENTENCES[0]!)]);
  }, 60_000);

  const endedYet = (call: { finished: Promise<unknown> }) => {
    let ended = false;
    void call.finished.then(() => (ended = true));
    return () => ended;
  };

  it('apologizes within 5 s and hangs up when Deepgram never answers the caller speaking', async () => {
    deepgram.streamMode = 'silent';
    const audio = new LoopedAudioInput(speech, CALLER_SAMPLE_RATE, 1_000);
    const { call, output, talkingFrom, hungUpAt } = await callerTalks({ audio, vad });
    expect((await call.finished).reason).toBe('provider_error');
    expect(apologized()).toBe(true);
    expect(output.longestSilenceMs(talkingFrom, hungUpAt()!)).toBeLessThanOrEqual(UNPLANNED_SILENCE_LIMIT_MS);
  }, 30_000);

  it('keeps the call when the line carries loud noise that Deepgram answers with nothing', async () => {
    deepgram.streamMode = 'silent';
    const { call } = await callerTalks({ audio: new LoopedAudioInput(noise, CALLER_SAMPLE_RATE), vad });
    const ended = endedYet(call);
    await new Promise((resolve) => setTimeout(resolve, 6_000));
    expect(ended()).toBe(false);
    expect(apologized()).toBe(false);
    await call.end('agent_hangup');
    expect((await call.finished).reason).toBe('agent_hangup');
  }, 30_000);

  it('without a VAD, loudness stands in: the same noise starts the clock', async () => {
    deepgram.streamMode = 'silent';
    const { call } = await callerTalks({ audio: new LoopedAudioInput(noise, CALLER_SAMPLE_RATE) });
    expect((await call.finished).reason).toBe('provider_error');
  }, 30_000);
});
