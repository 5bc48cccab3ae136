// Speech recognition failing for good closes the framework's session at once; the caller still
// hears an apology (in the call's voice, over the ElevenLabs fake) before the hang-up. Config and
// call record go through the real Postgres source and store; the hang-up through the LiveKit fake.
import { log } from '@livekit/agents';
import { type CallWorld, startCallWorld } from '../testing/call_world.ts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestDatabase } from '../../test/db/harness.ts';
import type { FakeDeepgram } from '../../test/fakes/deepgram.ts';
import type { ElevenLabsFake } from '../../test/fakes/elevenlabs.ts';
import type { FakeLiveKit } from '../../test/fakes/livekit.ts';
import type { FakeOpenAI } from '../../test/fakes/openai.ts';
import { ADAM, seedAgent } from '../config/_test_fixtures.ts';
import { DiscardAudioOutput } from '../testing/discard_audio_output.ts';
import { fakeLiveKitCall } from '../testing/fake_livekit_call.ts';
import type { PostgresBackends } from '../testing/postgres_backends.ts';
import { ToneAudioInput } from '../testing/tone_audio_input.ts';
import { PROVIDER_APOLOGY } from './fallback.ts';
import { createProviders } from './providers.ts';
import { runCall } from './run_call.ts';

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

describe('speech recognition down', () => {
  it('apologizes in the call voice and hangs up when Deepgram refuses the stream', async () => {
    const agent = await seedAgent(db, { voiceId: ADAM, greeting: '' });
    const { roomName, info, controls } = fakeLiveKitCall(livekit, agent.e164);
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
      info,
      { configSource: backends.source, callStore: backends.store, providers, controls, logger: log() },
      { audioInput: new ToneAudioInput(), audioOutput: new DiscardAudioOutput() },
    );
    const outcome = await call.finished;
    expect(outcome.reason).toBe('provider_error');
    expect(deepgram.handshakes[0]).toMatchObject({ authorized: false });
    expect(deepgram.handshakes[0]!.url).toContain('sample_rate=8000');
    const apology = eleven.wsConnections.find((c) =>
      Object.values(c.spoken).some((t) => t.includes("we're having technical difficulties")),
    );
    expect(apology?.voiceId).toBe(ADAM);
    expect(PROVIDER_APOLOGY).toContain("we're having technical difficulties");
    expect(livekit.rooms.has(roomName)).toBe(false);
    const [row] = await db.sql`select end_reason, details from public.calls where id = ${outcome.callRowId}`;
    expect(row).toMatchObject({ end_reason: 'provider_error', details: { provider_error: { type: 'stt_error' } } });
  }, 20_000);
});
