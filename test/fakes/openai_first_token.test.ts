import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FakeOpenAI, startFakeOpenAI } from './openai.ts';

describe("the OpenAI fake's time to first token", () => {
  let fake: FakeOpenAI;
  beforeAll(async () => {
    fake = await startFakeOpenAI(() => ({ text: 'Sure thing.', firstChunkDelayMs: 300 }));
  });
  afterAll(() => fake.close());

  it('sends the headers at once and the first chunk after firstChunkDelayMs', async () => {
    const start = performance.now();
    const res = await fetch(`${fake.baseUrl}/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${fake.apiKey}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'gpt-4o-mini', stream: true, messages: [{ role: 'user', content: 'hi' }] }),
    });
    const headersMs = performance.now() - start;
    const reader = res.body!.getReader();
    const first = await reader.read();
    const firstChunkMs = performance.now() - start;
    let text = new TextDecoder().decode(first.value);
    for (let r = await reader.read(); !r.done; r = await reader.read()) text += new TextDecoder().decode(r.value);
    expect(headersMs).toBeLessThan(200);
    expect(firstChunkMs).toBeGreaterThanOrEqual(295);
    expect(firstChunkMs).toBeLessThan(600);
    expect(text).toContain('[DONE]');
  });
});
