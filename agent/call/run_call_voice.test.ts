// The voice of a call, through the real ElevenLabs plugin on the ElevenLabs fake's WebSocket
// (multi-stream-input) and the real database: the configured voice speaks, a voice changed in
// SQL speaks from the next utterance, and a voice ElevenLabs does not know falls back to the
// catalog default mid-call, keeps talking, and opens a voice_not_found issue for the owner.
import { log } from '@livekit/agents';
import { type CallWorld, startCallWorld } from '../testing/call_world.ts';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { TestDatabase } from '../../test/db/harness.ts';
import { DEFAULT_FAKE_VOICES, type ElevenLabsFake } from '../../test/fakes/elevenlabs.ts';
import type { FakeLiveKit } from '../../test/fakes/livekit.ts';
import type { FakeOpenAI } from '../../test/fakes/openai.ts';
import { ADAM, eventually, RACHEL, seedAgent } from '../config/_test_fixtures.ts';
import { DiscardAudioOutput } from '../testing/discard_audio_output.ts';
import { fakeLiveKitCall } from '../testing/fake_livekit_call.ts';
import type { PostgresBackends } from '../testing/postgres_backends.ts';
import { textProviders } from './text_providers.ts';
import { runCall } from './run_call.ts';

const SARAH = 'EXAVITQu4vr4xnSDxMaL';
const ELLI = 'MF3mGyEYCl7XYWbV9V6O';

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

async function startCall(dialed: string) {
  const { info, controls } = fakeLiveKitCall(livekit, dialed);
  return runCall(
    info,
    {
      configSource: backends.source,
      callStore: backends.store,
      providers: textProviders({
        openaiApiKey: openai.apiKey,
        openaiBaseUrl: openai.baseUrl,
        eleven: { apiKey: eleven.apiKey, baseUrl: eleven.apiBaseUrl },
      }),
      controls,
      logger: log(),
    },
    // Fast TTS retries so the fallback test does not wait for the production back-off.
    {
      audioOutput: new DiscardAudioOutput(),
      connOptions: { ttsConnOptions: { maxRetry: 1, retryIntervalMs: 50, timeoutMs: 5_000 } },
    },
  );
}

/** What the fake heard, per voice, in order. */
const spokenBy = () =>
  eleven.wsConnections.flatMap((c) =>
    Object.values(c.spoken)
      .filter((t) => t.trim())
      .map((text) => ({ voiceId: c.voiceId, text: text.trim() })),
  );

describe('the voice of a call', () => {
  it('greets in the configured voice, then speaks a voice changed in SQL from the next utterance', async () => {
    const agent = await seedAgent(db, { voiceId: ADAM });
    openai.setScript(() => ({ text: 'Happy to help.' }));
    const call = await startCall(agent.e164);
    await eventually(() => spokenBy().some((s) => s.text.includes('Hello!')));
    expect(spokenBy()[0]).toEqual({ voiceId: ADAM, text: 'Hello!' });

    await db.sql`update public.agent_configs set voice_id = ${SARAH} where id = ${agent.configId}`;
    await eventually(() => call.currentConfig()?.voice_id === SARAH);
    await call.configApplied();
    await call.session.run({ userInput: 'Hi there' }).wait();
    await eventually(() => spokenBy().some((s) => s.text.includes('Happy to help.')));
    expect(spokenBy().find((s) => s.text.includes('Happy to help.'))!.voiceId).toBe(SARAH);
    expect(call.voice!.activeVoiceId).toBe(SARAH);
    await call.end('agent_hangup');
    const outcome = await call.finished;
    // The reply turn has an LLM first token and a TTS first byte: its latency and usage are recorded.
    const [row] =
      await db.sql`select turns, latency_p50_ms, latency_p90_ms, llm_prompt_tokens, tts_characters, details from public.calls where id = ${outcome.callRowId}`;
    expect(row).toMatchObject({ turns: 1, llm_prompt_tokens: 42 });
    expect(row!.latency_p50_ms).toEqual(expect.any(Number));
    expect(row!.latency_p90_ms).toBeGreaterThanOrEqual(row!.latency_p50_ms as number);
    expect(row!.tts_characters).toBeGreaterThanOrEqual('Hello!'.length + 'Happy to help.'.length);
    expect((row!.details as { turn_latencies_ms: number[] }).turn_latencies_ms).toHaveLength(1);
  });

  it('falls back to the default voice when ElevenLabs does not know the voice, keeps talking, and flags it for the owner', async () => {
    // Elli is in our catalog but gone from the ElevenLabs account.
    eleven.setVoices(DEFAULT_FAKE_VOICES.filter((v) => v.voice_id !== ELLI));
    const agent = await seedAgent(db, { voiceId: ADAM });
    openai.setScript(() => ({ text: 'Our hours are nine to five.' }));
    const call = await startCall(agent.e164);
    await eventually(() => spokenBy().some((s) => s.text.includes('Hello!')));

    await db.sql`update public.agent_configs set voice_id = ${ELLI} where id = ${agent.configId}`;
    await eventually(() => call.currentConfig()?.voice_id === ELLI);
    await call.configApplied();
    await call.session.run({ userInput: 'When are you open?' }).wait();
    await eventually(() => spokenBy().some((s) => s.voiceId === RACHEL && s.text.includes('nine to five')), 15_000);
    expect(eleven.wsConnections.some((c) => c.voiceId === ELLI)).toBe(true);
    expect(call.voice!.activeVoiceId).toBe(RACHEL);

    const openIssue = () =>
      db.sql`select code from public.config_issues where subject_id = ${agent.configId} and code = 'voice_not_found' and resolved_at is null`;
    // Reported in the background while the call goes on: poll for it with a deadline.
    await expect.poll(async () => (await openIssue()).length, { timeout: 10_000 }).toBe(1);
    await call.end('agent_hangup');
    const outcome = await call.finished;
    const [row] = await db.sql`select details from public.calls where id = ${outcome.callRowId}`;
    expect(row!.details).toMatchObject({ voice_fallback: { from: ELLI, to: RACHEL } });
  }, 30_000);

  it('hangs up cleanly (recorded as provider_error) when even the default voice cannot be synthesized', async () => {
    eleven.configure({ failures: [{ kind: 'ws_reject' }] });
    const agent = await seedAgent(db, { voiceId: RACHEL });
    const call = await startCall(agent.e164);
    const outcome = await call.finished;
    expect(outcome.reason).toBe('provider_error');
    const [row] = await db.sql`select end_reason, details from public.calls where id = ${outcome.callRowId}`;
    expect(row).toMatchObject({ end_reason: 'provider_error', details: { provider_error: { type: 'tts_error' } } });
  }, 20_000);
});
