// The ElevenLabs fake speaks what the real API and the real 1.9.0 plugin expect: if these fail,
// every test built on the fake is testing fiction.
import { initializeLogger, tts as ttsBase } from '@livekit/agents';
import * as elevenlabs from '@livekit/agents-plugin-elevenlabs';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { isMp3 } from './elevenlabs_audio.ts';
import { DEFAULT_FAKE_VOICES, type ElevenLabsFake, startElevenLabsFake } from './elevenlabs.ts';

const RACHEL = '21m00Tcm4TlvDq8ikWAM';
const ADAM = 'pNInz6obpgDQGcFmaJgB';
const UNKNOWN = 'AAAAAAAAAAAAAAAAAAAA';
let fake: ElevenLabsFake;

beforeAll(async () => {
  initializeLogger({ pretty: false, level: 'fatal' });
  fake = await startElevenLabsFake();
});
afterAll(() => fake.close());
beforeEach(() => fake.reset());

const get = (path: string, key = fake.apiKey) => fetch(`${fake.baseUrl}${path}`, { headers: { 'xi-api-key': key } });
const speak = (voiceId: string, body: unknown, query = '', key = fake.apiKey) =>
  fetch(`${fake.baseUrl}/v1/text-to-speech/${voiceId}${query}`, {
    method: 'POST',
    headers: { 'xi-api-key': key, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });

describe('ElevenLabs fake: voices', () => {
  it('pages /v2/voices with next_page_token until has_more is false', async () => {
    const first = await (await get('/v2/voices?page_size=5&include_total_count=true')).json();
    expect(first.voices).toHaveLength(5);
    expect(first).toMatchObject({ has_more: true, total_count: DEFAULT_FAKE_VOICES.length });
    const ids = [...first.voices.map((v: { voice_id: string }) => v.voice_id)];
    let token = first.next_page_token;
    while (token) {
      const page = await (await get(`/v2/voices?page_size=5&next_page_token=${token}`)).json();
      ids.push(...page.voices.map((v: { voice_id: string }) => v.voice_id));
      token = page.has_more ? page.next_page_token : null;
    }
    expect(ids).toEqual(DEFAULT_FAKE_VOICES.map((v) => v.voice_id));
  });

  it('points preview_url at a real MP3 it serves', async () => {
    const voice = await (await get(`/v1/voices/${RACHEL}`)).json();
    const res = await fetch(voice.preview_url);
    expect(res.headers.get('content-type')).toBe('audio/mpeg');
    expect(isMp3(new Uint8Array(await res.arrayBuffer()))).toBe(true);
  });

  it('answers an unknown voice with the real voice_not_found body, at the configured status', async () => {
    const res = await get(`/v1/voices/${UNKNOWN}`);
    expect(res.status).toBe(404);
    expect((await res.json()).detail.status).toBe('voice_not_found');
    fake.configure({ voiceNotFoundStatus: 400 });
    expect((await get(`/v1/voices/${UNKNOWN}`)).status).toBe(400);
  });

  it('refuses a wrong xi-api-key with invalid_api_key', async () => {
    const res = await get('/v2/voices', 'wrong');
    expect(res.status).toBe(401);
    expect(await res.json()).toEqual({ detail: { status: 'invalid_api_key', message: 'Invalid API key' } });
  });
});

describe('ElevenLabs fake: HTTP text to speech', () => {
  it('returns valid MP3 frames, sized by the text, with the cost headers', async () => {
    const res = await speak(RACHEL, { text: 'Thanks for calling.', model_id: 'eleven_flash_v2_5' });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('audio/mpeg');
    expect(res.headers.get('character-cost')).toBe('19');
    const bytes = new Uint8Array(await res.arrayBuffer());
    expect(isMp3(bytes)).toBe(true);
    expect(bytes.length).toBeGreaterThan(417 * 20);
    expect(
      isMp3(new Uint8Array(await (await speak(RACHEL, { text: 'Hi' }, '?output_format=mp3_22050_32')).arrayBuffer())),
    ).toBe(true);
  });

  it('returns PCM16 at the requested rate and mu-law for ulaw_8000', async () => {
    const pcm = await speak(RACHEL, { text: 'abcdefghij' }, '/stream?output_format=pcm_16000');
    expect(pcm.headers.get('content-type')).toMatch(/^audio\//);
    expect((await pcm.arrayBuffer()).byteLength).toBe(16000 * 0.6 * 2);
    const ulaw = await speak(RACHEL, { text: 'abcdefghij' }, '?output_format=ulaw_8000');
    expect((await ulaw.arrayBuffer()).byteLength).toBe(8000 * 0.6);
  });

  it('requires text (422 validation body) and a known voice', async () => {
    const missing = await speak(RACHEL, { model_id: 'eleven_flash_v2_5' });
    expect(missing.status).toBe(422);
    expect((await missing.json()).detail[0]).toMatchObject({ loc: ['body', 'text'], type: 'missing' });
    const unknown = await speak(UNKNOWN, { text: 'hi' });
    expect((await unknown.json()).detail.status).toBe('voice_not_found');
  });

  it('injects failures a fixed number of times, with the real bodies', async () => {
    fake.configure({ failures: [{ kind: 'quota_exceeded', on: 'tts', times: 1 }] });
    const failed = await speak(RACHEL, { text: 'hi' });
    expect(failed.status).toBe(401);
    expect((await failed.json()).detail.status).toBe('quota_exceeded');
    expect((await speak(RACHEL, { text: 'hi' })).status).toBe(200);
    expect(fake.ttsCount(RACHEL)).toBe(2);
  });

  it('streams the first chunk and holds the rest until released', async () => {
    fake.configure({ holdStreams: true, chunkBytes: 1000 });
    const res = await speak(RACHEL, { text: 'a longer sentence to stream' }, '/stream');
    const reader = res.body!.getReader();
    const first = await reader.read();
    expect(first.value!.byteLength).toBe(1000);
    fake.release();
    let total = first.value!.byteLength;
    for (let chunk = await reader.read(); !chunk.done; chunk = await reader.read()) total += chunk.value.byteLength;
    expect(total).toBeGreaterThan(1000);
  });

  it('stalls a body after its headers (audio, voices page or error body) until the client leaves or reset', async () => {
    fake.configure({
      failures: [
        { kind: 'stall_body', on: 'tts', times: 1 },
        { kind: 'stall_body', on: 'voices', times: 1 },
        { kind: 'stall_error_body', on: 'tts', times: 1 },
      ],
    });
    const audio = await speak(RACHEL, { text: 'a sentence long enough to stall' }, '/stream');
    const page = await get('/v2/voices');
    const failed = await speak(RACHEL, { text: 'hi' }, '/stream');
    expect([audio.status, page.status, failed.status]).toEqual([200, 200, 500]);
    const reads = [audio, page, failed].map((res) =>
      res.arrayBuffer().then(
        () => 'ended',
        () => 'broken',
      ),
    );
    const first = await Promise.race([...reads, new Promise((resolve) => setTimeout(resolve, 300, 'still open'))]);
    expect(first).toBe('still open');
    fake.reset();
    expect(await Promise.all(reads)).toEqual(['broken', 'broken', 'broken']);
  });

  it('trickles a body a few bytes at a time', async () => {
    fake.configure({
      trickleBytes: 400,
      trickleIntervalMs: 50,
      failures: [{ kind: 'trickle', on: 'voices', times: 1 }],
    });
    const startedAt = Date.now();
    const page = await (await get('/v2/voices?page_size=3')).json();
    expect(page.voices).toHaveLength(3);
    expect(Date.now() - startedAt).toBeGreaterThanOrEqual(50);
  });
});

async function synthesize(tts: elevenlabs.TTS, text: string) {
  const stream = tts.stream({ connOptions: { maxRetry: 0, retryIntervalMs: 10, timeoutMs: 2000 } });
  stream.pushText(text);
  stream.endInput();
  const frames: ttsBase.SynthesizedAudio[] = [];
  for await (const event of stream) if (event !== ttsBase.SynthesizeStream.END_OF_STREAM) frames.push(event);
  return frames;
}

/** The plugin reports failures as 'error' events (tts_error), not as rejections. */
function collectErrors(tts: elevenlabs.TTS): unknown[] {
  const errors: unknown[] = [];
  tts.on('error', (event) => errors.push(event));
  return errors;
}

describe('ElevenLabs fake: the agent plugin over multi-stream-input', () => {
  it('serves the real plugin PCM audio and records the voice, query and frames', async () => {
    const tts = new elevenlabs.TTS({
      apiKey: fake.apiKey,
      baseURL: fake.apiBaseUrl,
      voiceId: RACHEL,
      model: 'eleven_flash_v2_5',
      encoding: 'pcm_16000',
    });
    const frames = await synthesize(tts, 'Hi there. How are you?');
    await tts.close();
    const samples = frames.reduce((n, f) => n + f.frame.samplesPerChannel, 0);
    expect(samples).toBeGreaterThanOrEqual(16000 * 1.0);
    expect(frames.at(-1)!.final).toBe(true);
    const [connection] = fake.wsConnections;
    expect(connection).toMatchObject({ voiceId: RACHEL, authorized: true });
    expect(connection!.query).toMatchObject({
      model_id: 'eleven_flash_v2_5',
      output_format: 'pcm_16000',
      inactivity_timeout: '180',
    });
    expect(connection!.messages[0]).toMatchObject({ text: ' ', voice_settings: {} });
    expect(connection!.messages.at(-1)).toMatchObject({ close_context: true });
    expect(Object.values(connection!.spoken).join('')).toContain('How are you?');
  });

  it('opens a new socket with the new voice after updateOptions, and accepts snake-case ids', async () => {
    fake.configure({ contextIdStyle: 'snake' });
    const tts = new elevenlabs.TTS({
      apiKey: fake.apiKey,
      baseURL: fake.apiBaseUrl,
      voiceId: RACHEL,
      encoding: 'pcm_16000',
    });
    await synthesize(tts, 'First voice.');
    tts.updateOptions({ voiceId: ADAM });
    await synthesize(tts, 'Second voice.');
    await tts.close();
    expect(fake.wsConnections.map((c) => c.voiceId)).toEqual([RACHEL, ADAM]);
  });

  it('fails an unknown voice the way the real server does: error without context, close 1008', async () => {
    const tts = new elevenlabs.TTS({
      apiKey: fake.apiKey,
      baseURL: fake.apiBaseUrl,
      voiceId: UNKNOWN,
      encoding: 'pcm_16000',
    });
    const errors = collectErrors(tts);
    expect(await synthesize(tts, 'Hello.')).toEqual([]);
    await tts.close();
    expect(errors[0]).toMatchObject({ type: 'tts_error', recoverable: false });
    expect(fake.wsConnections[0]).toMatchObject({ voiceId: UNKNOWN, closeCode: 1008 });
  });

  it('rejects a bad key at the upgrade', async () => {
    const tts = new elevenlabs.TTS({
      apiKey: 'wrong',
      baseURL: fake.apiBaseUrl,
      voiceId: RACHEL,
      encoding: 'pcm_16000',
    });
    const errors = collectErrors(tts);
    expect(await synthesize(tts, 'Hello.')).toEqual([]);
    await tts.close();
    expect(String((errors[0] as { error?: Error })?.error?.message)).toMatch(/could not connect/i);
    expect(fake.wsConnections[0]).toMatchObject({ authorized: false, closeCode: 401 });
  });
});

describe('ElevenLabs fake: injectable WebSocket failures', () => {
  const open = (voiceId = RACHEL) => {
    const ws = new WebSocket(
      `${fake.baseUrl.replace('http', 'ws')}/v1/text-to-speech/${voiceId}/multi-stream-input?output_format=pcm_16000`,
      { headers: { 'xi-api-key': fake.apiKey } },
    );
    const messages: Record<string, unknown>[] = [];
    ws.on('message', (raw) => messages.push(JSON.parse(String(raw))));
    const closed = new Promise<{ code: number; reason: string }>((resolve) =>
      ws.on('close', (code, reason) => resolve({ code, reason: String(reason) })),
    );
    return { ws, messages, closed, ready: new Promise((resolve) => ws.on('open', resolve)) };
  };

  it('closes an idle socket with 1008 input_timeout_exceeded', async () => {
    fake.configure({ wsIdleTimeoutMs: 50 });
    const socket = open();
    expect(await socket.closed).toEqual({ code: 1008, reason: 'input_timeout_exceeded' });
  });

  it('refuses a sixth live context with max_active_conversations', async () => {
    const socket = open();
    await socket.ready;
    for (let i = 0; i < 6; i++) socket.ws.send(JSON.stringify({ text: ' ', context_id: `ctx${i}` }));
    expect((await socket.closed).code).toBe(1008);
    expect(socket.messages.at(-1)).toMatchObject({ error: 'max_active_conversations' });
  });

  it('can withhold isFinal, or close mid-stream', async () => {
    fake.configure({ failures: [{ kind: 'ws_never_final', on: 'ws', times: 1 }] });
    const quiet = open();
    await quiet.ready;
    quiet.ws.send(JSON.stringify({ text: 'Hello there. ', context_id: 'a', flush: true }));
    quiet.ws.send(JSON.stringify({ context_id: 'a', close_context: true }));
    // The fake handles a socket's messages in order: once the probe's flush_done is back, the
    // close_context before it has been handled, so an isFinal would already be here.
    quiet.ws.send(JSON.stringify({ context_id: 'probe', flush: true }));
    await expect
      .poll(() => quiet.messages.some((m) => m.flush_done === true && m.context_id === 'probe'), { timeout: 10_000 })
      .toBe(true);
    expect(quiet.messages.some((m) => m.audio)).toBe(true);
    expect(quiet.messages.some((m) => m.isFinal)).toBe(false);
    quiet.ws.close();
    fake.configure({ failures: [{ kind: 'ws_close_mid_stream', on: 'ws', times: 1 }] });
    const cut = open();
    await cut.ready;
    cut.ws.send(JSON.stringify({ text: 'Hello there. ', context_id: 'b', flush: true }));
    expect((await cut.closed).code).toBe(1011);
  });
});
