import { describe, expect, it } from 'vitest';
import { CallMetrics, percentile } from './call_metrics.ts';

const llm = (speechId: string, ttftMs: number, prompt = 10, completion = 5) =>
  ({
    type: 'llm_metrics',
    label: 'openai',
    requestId: 'r',
    timestamp: 0,
    durationMs: 1,
    ttftMs,
    cancelled: false,
    completionTokens: completion,
    promptTokens: prompt,
    promptCachedTokens: 0,
    totalTokens: prompt + completion,
    tokensPerSecond: 1,
    speechId,
  }) as const;
const tts = (speechId: string, ttfbMs: number, chars: number) =>
  ({
    type: 'tts_metrics',
    label: 'el',
    requestId: 'r',
    timestamp: 0,
    ttfbMs,
    durationMs: 1,
    audioDurationMs: 1,
    cancelled: false,
    charactersCount: chars,
    streamed: true,
    speechId,
  }) as const;
const eou = (speechId: string, delayMs: number) =>
  ({
    type: 'eou_metrics',
    timestamp: 0,
    endOfUtteranceDelayMs: delayMs,
    transcriptionDelayMs: 0,
    onUserTurnCompletedDelayMs: 0,
    lastSpeakingTimeMs: 0,
    speechId,
  }) as const;
const stt = (audioMs: number) =>
  ({
    type: 'stt_metrics',
    label: 'dg',
    requestId: 'r',
    timestamp: 0,
    durationMs: 0,
    audioDurationMs: audioMs,
    streamed: true,
  }) as const;

describe('CallMetrics', () => {
  it('adds EOU delay, LLM first token and TTS first byte per turn, and takes p50/p90 over turns', () => {
    const m = new CallMetrics();
    // The greeting: TTS only, not a turn.
    m.add(tts('greet', 90, 20));
    // Turn a: tool call first (ttft -1), then the spoken reply's request.
    m.add(eou('a', 300));
    m.add(llm('a', -1));
    m.add(llm('a', 200));
    m.add(tts('a', 100, 30));
    m.add(tts('a', 400, 10)); // a second sentence: its first byte is not the turn's
    for (const [id, e, l, t] of [
      ['b', 100, 100, 100],
      ['c', 500, 400, 300],
      ['d', 200, 200, 200],
    ] as const) {
      m.add(eou(id, e));
      m.add(llm(id, l));
      m.add(tts(id, t, 5));
    }
    m.add(stt(61_234));
    const f = m.figures();
    expect(f.turn_latencies_ms).toEqual([600, 300, 1200, 600]);
    expect(f.latency_p50_ms).toBe(600);
    expect(f.latency_p90_ms).toBe(1200);
    expect(f).toMatchObject({
      stt_seconds: 61.23,
      llm_prompt_tokens: 50,
      llm_completion_tokens: 25,
      tts_characters: 75,
    });
  });

  it('has no latency for a call without replies', () => {
    expect(new CallMetrics().figures()).toMatchObject({ latency_p50_ms: null, latency_p90_ms: null, stt_seconds: 0 });
  });

  it('uses nearest-rank percentiles', () => {
    expect(percentile([5], 90)).toBe(5);
    expect(percentile([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 90)).toBe(9);
    expect(percentile([10, 1, 2], 50)).toBe(2);
  });
});
