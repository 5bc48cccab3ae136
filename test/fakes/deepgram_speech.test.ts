import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { type FakeDeepgram, startFakeDeepgram } from './deepgram.ts';

const RATE = 16_000;
const CHUNK_MS = 100;

/** 100 ms of PCM16 at 16 kHz: a loud 300 Hz tone, or silence. */
function chunk(loud: boolean, offset: number): Buffer {
  const n = (RATE * CHUNK_MS) / 1000;
  const out = Buffer.alloc(n * 2);
  if (loud)
    for (let i = 0; i < n; i++)
      out.writeInt16LE(Math.round(10_000 * Math.sin((2 * Math.PI * 300 * (offset + i)) / RATE)), i * 2);
  return out;
}

describe("the Deepgram fake's speech mode", () => {
  let fake: FakeDeepgram;
  beforeAll(async () => {
    fake = await startFakeDeepgram();
    fake.streamMode = 'speech';
  });
  afterAll(() => fake.close());

  it('sends interims while the audio is loud and the final 150 ms after the speech ends', async () => {
    const ws = new WebSocket(`${fake.baseUrl}/v1/listen?sample_rate=${RATE}&channels=1`, {
      headers: { authorization: `Token ${fake.apiKey}` },
    });
    const received: Array<{ at: number; message: { type: string; is_final?: boolean; speech_final?: boolean } }> = [];
    ws.on('message', (data) => received.push({ at: Date.now(), message: JSON.parse(String(data)) }));
    await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject));
    // 800 ms of speech then 500 ms of silence, in real time, 100 ms per message as the plugin sends.
    const start = Date.now();
    let speechEndedAt = 0;
    for (let i = 0; i < 13; i++) {
      await new Promise((resolve) => setTimeout(resolve, Math.max(0, start + (i + 1) * CHUNK_MS - Date.now())));
      ws.send(chunk(i < 8, i * (RATE / 10)));
      if (i === 7) speechEndedAt = Date.now();
    }
    await new Promise((resolve) => setTimeout(resolve, 300));
    ws.close();

    const types = received.map((r) => r.message.type);
    expect(types[0]).toBe('SpeechStarted');
    const results = received.filter((r) => r.message.type === 'Results');
    const finals = results.filter((r) => r.message.is_final);
    expect(results.filter((r) => !r.message.is_final).length).toBeGreaterThanOrEqual(1);
    expect(finals).toHaveLength(1);
    expect(finals[0]!.message.speech_final).toBe(true);
    const afterEndMs = finals[0]!.at - speechEndedAt;
    expect(afterEndMs).toBeGreaterThanOrEqual(130);
    expect(afterEndMs).toBeLessThan(260);
  });
});
