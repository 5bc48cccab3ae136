// The JSON the record_call_start / record_call_end RPCs take (supabase/migrations/
// 20261125130000_create_worker_rpcs.sql), shared by both CallStore backends. Integer columns get
// integers: a fractional latency or token count would be refused by the database.
import type { CallCompletion, CallStart } from '../config/types.ts';

export function callStartRecord(call: CallStart): Record<string, unknown> {
  return { ...call };
}

export function callEndRecord(completion: CallCompletion): Record<string, unknown> {
  const whole = (n: number | null) => (n === null || !Number.isFinite(n) ? null : Math.max(0, Math.round(n)));
  return {
    ...completion,
    turns: whole(completion.turns) ?? 0,
    latency_p50_ms: whole(completion.latency_p50_ms),
    latency_p90_ms: whole(completion.latency_p90_ms),
    stt_seconds: Number.isFinite(completion.stt_seconds) ? Math.max(0, Math.round(completion.stt_seconds * 100) / 100) : 0,
    llm_prompt_tokens: whole(completion.llm_prompt_tokens) ?? 0,
    llm_completion_tokens: whole(completion.llm_completion_tokens) ?? 0,
    tts_characters: whole(completion.tts_characters) ?? 0,
  };
}

/** Call-store writes are idempotent (record_call_start per livekit_call_id), so transient failures are retried. */
export async function withRetries<T>(work: () => Promise<T>, isRetryable: (error: unknown) => boolean, delaysMs: readonly number[]): Promise<T> {
  for (let attempt = 0; ; attempt += 1) {
    try {
      return await work();
    } catch (error) {
      const delay = delaysMs[attempt];
      if (delay === undefined || !isRetryable(error)) throw error;
      await new Promise((resolve) => setTimeout(resolve, delay));
    }
  }
}

export const DEFAULT_CALL_STORE_RETRY_DELAYS_MS = [200, 1_000] as const;
