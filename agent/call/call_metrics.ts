// Per-call figures for the calls row, from the framework's metrics_collected events: per-turn
// latency (end-of-utterance delay + LLM time to first token + TTS time to first byte, joined by
// speech id) and usage (STT audio seconds, LLM tokens, TTS characters).
import type { metrics } from '@livekit/agents';
import type { CallCompletion } from '../config/types.ts';

interface TurnTiming {
  eouMs?: number;
  llmTtftMs?: number;
  ttsTtfbMs?: number;
}

/** The calls-row figures, plus the per-turn latencies behind the percentiles. */
export type CallFigures = Pick<
  CallCompletion,
  'latency_p50_ms' | 'latency_p90_ms' | 'stt_seconds' | 'llm_prompt_tokens' | 'llm_completion_tokens' | 'tts_characters'
> & {
  /** Per-turn latencies in ms, in order. */
  turn_latencies_ms: number[];
};

export class CallMetrics {
  #turns = new Map<string, TurnTiming>();
  #sttMs = 0;
  #promptTokens = 0;
  #completionTokens = 0;
  #ttsCharacters = 0;

  add(m: metrics.AgentMetrics): void {
    switch (m.type) {
      case 'stt_metrics':
        this.#sttMs += m.audioDurationMs;
        break;
      case 'llm_metrics':
        this.#promptTokens += m.promptTokens;
        this.#completionTokens += m.completionTokens;
        // A tool-call-only request reports ttft -1; the turn's first spoken token counts.
        if (m.speechId && m.ttftMs >= 0) this.#turn(m.speechId).llmTtftMs ??= m.ttftMs;
        break;
      case 'tts_metrics':
        this.#ttsCharacters += m.charactersCount;
        if (m.speechId && m.ttfbMs >= 0) this.#turn(m.speechId).ttsTtfbMs ??= m.ttfbMs;
        break;
      case 'eou_metrics':
        if (m.speechId) this.#turn(m.speechId).eouMs ??= m.endOfUtteranceDelayMs;
        break;
      default:
        break;
    }
  }

  figures(): CallFigures {
    // A turn is a reply to the caller: it has an LLM first token and TTS first byte. The
    // greeting and fixed sentences (no LLM) are not turns.
    const latencies = [...this.#turns.values()]
      .filter((t) => t.llmTtftMs !== undefined && t.ttsTtfbMs !== undefined)
      .map((t) => Math.round((t.eouMs ?? 0) + t.llmTtftMs! + t.ttsTtfbMs!));
    return {
      latency_p50_ms: percentile(latencies, 50),
      latency_p90_ms: percentile(latencies, 90),
      stt_seconds: Math.round(this.#sttMs / 10) / 100,
      llm_prompt_tokens: this.#promptTokens,
      llm_completion_tokens: this.#completionTokens,
      tts_characters: this.#ttsCharacters,
      turn_latencies_ms: latencies,
    };
  }

  #turn(speechId: string): TurnTiming {
    let turn = this.#turns.get(speechId);
    if (!turn) this.#turns.set(speechId, (turn = {}));
    return turn;
  }
}

/** Nearest-rank percentile; null for no samples. */
export function percentile(values: number[], p: number): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1]!;
}
