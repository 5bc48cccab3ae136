// The calls row the worker writes: its columns at the start (CallStart) and at the end
// (CallCompletion). agent/config/types.ts re-exports these for the call flow.

/** Where a call's config came from; stored in calls.config_source. */
export type ConfigOrigin = 'cache' | 'database' | 'last_known' | 'default';

/** A calls row at start; the worker completes it with CallCompletion at the end. */
export interface CallStart {
  room_name: string;
  livekit_call_id: string | null;
  trunk_id: string | null;
  dispatch_rule_id: string | null;
  caller_number: string | null;
  dialed_number: string | null;
  owner_id: string | null;
  agent_config_id: string | null;
  config_version: number | null;
  config_source: ConfigOrigin;
  started_at: string;
}

export type CallEndReason =
  | 'caller_hangup'
  | 'agent_hangup'
  | 'transferred'
  | 'max_duration'
  | 'silence_timeout'
  | 'unknown_number'
  | 'provider_error'
  | 'worker_shutdown'
  | 'error'
  /** Only the sweep writes it: the worker running the call stopped sending heartbeats. */
  | 'worker_lost';

export interface CallCompletion {
  answered_at: string | null;
  ended_at: string;
  end_reason: CallEndReason;
  turns: number;
  latency_p50_ms: number | null;
  latency_p90_ms: number | null;
  stt_seconds: number;
  llm_prompt_tokens: number;
  llm_completion_tokens: number;
  tts_characters: number;
  details: Record<string, unknown>;
}
