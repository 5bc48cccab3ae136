// The contract between the call flow and where configuration lives. Two backends implement it:
// Supabase (supabase-js rpc + Realtime postgres_changes; production) and Postgres (a direct
// connection + LISTEN/NOTIFY; plain Postgres and the local stack). The call flow never knows
// which one it talks to.
import type { ResolvedAgentConfig } from '../../shared/agent_config.ts';
import type { ConfigOrigin } from '../store/call_rows.ts';

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

/** What the worker writes back, and the rows it writes; defined with their backends in agent/store/. */
export type { CallStore } from '../store/call_store.ts';
export type { CallCompletion, CallEndReason, CallStart, ConfigOrigin } from '../store/call_rows.ts';
