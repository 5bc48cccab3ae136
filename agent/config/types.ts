// The contract between the call flow and where configuration lives. Two backends implement it:
// Supabase (supabase-js rpc + Realtime postgres_changes; production) and Postgres (a direct
// connection + LISTEN/NOTIFY; plain Postgres and the local stack). The call flow never knows
// which one it talks to.
import type { ResolvedAgentConfig } from '../../shared/agent_config.ts';

/** Where a call's config came from; stored in calls.config_source. */
export type ConfigOrigin = 'cache' | 'database' | 'last_known' | 'default';

export interface ResolvedCallConfig {
  resolved: ResolvedAgentConfig;
  origin: ConfigOrigin;
}

/** Called with the newer resolution of a watched number; never with an older version. */
export type ConfigListener = (next: ResolvedAgentConfig) => void;

export interface ConfigSource {
  /** Connects and subscribes. Resolves once change delivery is live (or has failed and is retrying). */
  start(): Promise<void>;
  /**
   * The config for a dialed number (any common format). A warm cache answers with no database
   * round trip. When the database is unreachable: the last known resolution for that number
   * (origin 'last_known'), else rejects so the caller can use the default agent.
   */
  resolve(dialedNumber: string): Promise<ResolvedCallConfig>;
  /** Delivers every newer resolution of that number while a call is live. Returns unsubscribe. */
  watch(dialedNumber: string, listener: ConfigListener): () => void;
  close(): Promise<void>;
}

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
  | 'caller_hangup' | 'agent_hangup' | 'transferred' | 'max_duration' | 'silence_timeout'
  | 'unknown_number' | 'provider_error' | 'worker_shutdown' | 'error'
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

/** What the worker writes back; defined with its backends in agent/store/. */
export type { CallStore } from '../store/call_store.ts';
