// Speech recognition failing for good closes the framework's session at once; the caller still
// hears an apology (in the call's voice, over the ElevenLabs fake) before the hang-up.
import { initializeLogger, log } from '@livekit/agents';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FakeDeepgram, startFakeDeepgram } from '../../test/fakes/deepgram.ts';
import { type ElevenLabsFake, startElevenLabsFake } from '../../test/fakes/elevenlabs.ts';
import { type FakeOpenAI, startFakeOpenAI } from '../../test/fakes/openai.ts';
import { DiscardAudioOutput } from '../testing/discard_audio_output.ts';
import { ADAM, MemoryCallStore, MemoryConfigSource, RecordingControls, testConfig } from '../testing/memory_backends.ts';
import { ToneAudioInput } from '../testing/tone_audio_input.ts';
import { PROVIDER_APOLOGY } from './fallback.ts';
import { createProviders } from './providers.ts';
import { runCall } from './run_call.ts';

let openai: FakeOpenAI;
let eleven: ElevenLabsFake;
let deepgram: FakeDeepgram;

beforeAll(async () => {
  initializeLogger({ pretty: false, level: 'fatal' });
  [openai, eleven, deepgram] = await Promise.all([startFakeOpenAI(), startElevenLabsFake(), startFakeDeepgram()]);
});
afterAll(() => Promise.all([openai.close(), eleven.close(), deepgram.close()]));

describe('speech recognition down', () => {
  it('apologizes in the call voice and hangs up when Deepgram refuses the stream', async () => {
    const source = new MemoryConfigSource();
    const store = new MemoryCallStore();
    const controls = new RecordingControls();
    source.set('+15551230001', testConfig({ greeting: '' }));
    const providers = {
      ...createProviders({
        openaiApiKey: openai.apiKey,
        openaiBaseUrl: openai.baseUrl,
        deepgramApiKey: 'dg-wrong-key',
        deepgramBaseUrl: deepgram.baseUrl,
        elevenApiKey: eleven.apiKey,
        elevenBaseUrl: eleven.apiBaseUrl,
      }),
      vad: () => null,
      turnDetection: () => null,
    };
    const call = await runCall(
      { roomName: 'call-_x', callId: null, dialedNumber: '+15551230001', callerNumber: '+15559870000', trunkId: null, dispatchRuleId: null },
      { configSource: source, callStore: store, providers, controls, logger: log() },
      { audioInput: new ToneAudioInput(), audioOutput: new DiscardAudioOutput() },
    );
    const outcome = await call.finished;
    expect(outcome.reason).toBe('provider_error');
    expect(deepgram.handshakes[0]).toMatchObject({ authorized: false });
    expect(deepgram.handshakes[0]!.url).toContain('sample_rate=8000');
    const apology = eleven.wsConnections.find((c) => Object.values(c.spoken).some((t) => t.includes("we're having technical difficulties")));
    expect(apology?.voiceId).toBe(ADAM);
    expect(PROVIDER_APOLOGY).toContain("we're having technical difficulties");
    expect(controls.hangUps).toBe(1);
    expect(store.calls.get(outcome.callRowId!)).toMatchObject({ end_reason: 'provider_error', details: { provider_error: { type: 'stt_error' } } });
  }, 20_000);
});
