// The JSON record_call takes (supabase/migrations/20261130100000_record_calls_durably.sql): the
// start's columns, plus the end's once the call has ended; shared by both CallStore backends.
// Integer columns get integers: a fractional latency or token count would be refused.
import type { CallCompletion, CallStart } from './call_rows.ts';

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
    stt_seconds: Number.isFinite(completion.stt_seconds)
      ? Math.max(0, Math.round(completion.stt_seconds * 100) / 100)
      : 0,
    llm_prompt_tokens: whole(completion.llm_prompt_tokens) ?? 0,
    llm_completion_tokens: whole(completion.llm_completion_tokens) ?? 0,
    tts_characters: whole(completion.tts_characters) ?? 0,
  };
}
