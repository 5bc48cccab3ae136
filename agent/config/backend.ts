// What a config backend (Postgres or Supabase) gives the shared cache: one-number and
// many-number resolution, plus change delivery as invalidation signals. The cache logic
// (versions, last known, refetch on resync, reconcile) lives once, in cached_config_source.ts.
import type { ResolvedAgentConfig } from '../../shared/agent_config.ts';

/** Tables whose rows feed a resolution (resolve_agent_config reads all three). */
export const CONFIG_TABLES = ['agent_configs', 'phone_numbers', 'voices'] as const;
export type ConfigTable = (typeof CONFIG_TABLES)[number];

export type ChangeOp = 'insert' | 'update' | 'delete';

/** The keys of one changed row; which fields are set depends on the table. */
export interface ChangedRow {
  /** agent_configs.id or phone_numbers.id */
  id?: string;
  /** agent_configs.version after (or, for deletes, before) the change */
  version?: number;
  /** phone_numbers.e164 */
  e164?: string;
  /** voices.voice_id */
  voice_id?: string;
}

/**
 * A committed change. `all` means the payload was too large to list rows: everything cached
 * may be affected.
 */
export type ChangeSignal =
  | { table: ConfigTable; op: ChangeOp; all: true }
  | { table: ConfigTable; op: ChangeOp; all?: false; rows: ChangedRow[] };

/**
 * Why delivery is down when retrying alone will not bring it back: the project needs a fix.
 * - `realtime_subscription_failed`: Realtime could not subscribe to the config tables (a table
 *   missing from the supabase_realtime publication, a missing grant, a database error).
 * - `realtime_private_only`: the project allows only private channels and refuses the worker's
 *   public one.
 */
export type DeliveryProblemCode = 'realtime_subscription_failed' | 'realtime_private_only';

export interface DeliveryProblem {
  code: DeliveryProblemCode;
  /** What the server said, verbatim. */
  detail: string;
  /** What the operator does about it. */
  fix: string;
}

/** How a backend reports its change delivery to the cache. */
export interface DeliveryEvents {
  /**
   * Delivery is live again (LISTEN issued, channel SUBSCRIBED, ready message): changes may have
   * been missed before this point, so everything cached is refetched.
   */
  resync(reason: string): void;
  /**
   * Delivery is down: cached entries stay as last known but are no longer trusted as current.
   * `problem` says when it stays down until someone fixes the project.
   */
  lost(reason: string, problem?: DeliveryProblem): void;
  change(signal: ChangeSignal): void;
}

export interface ConfigBackend {
  readonly kind: 'postgres' | 'supabase';
  /** public.resolve_agent_config(number). Rejects (AppError) when the database is unreachable. */
  fetchOne(dialedNumber: string, signal: AbortSignal): Promise<ResolvedAgentConfig>;
  /** public.resolve_agent_configs(numbers): one round trip, answers in order. */
  fetchMany(dialedNumbers: string[], signal: AbortSignal): Promise<ResolvedAgentConfig[]>;
  /** public.list_configured_numbers(limit): numbers with a config, most recently updated first. */
  listConfiguredNumbers(limit: number, signal: AbortSignal): Promise<string[]>;
  /**
   * Starts change delivery and keeps it alive (reconnects, watchdogs). Resolves once delivery is
   * live or its first attempt has failed (it keeps retrying).
   */
  start(events: DeliveryEvents): Promise<void>;
  /**
   * Tells the operator about a delivery problem only they can fix (null: delivery is live again),
   * through public.report_config_delivery. Backends whose delivery cannot hit such problems omit it.
   */
  reportDeliveryProblem?(problem: DeliveryProblem | null, signal: AbortSignal): Promise<void>;
  close(): Promise<void>;
}
