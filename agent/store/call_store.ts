// What the worker writes about its calls, whichever database holds them. Two backends implement
// it with the same SQL functions (supabase/migrations/20261130100000_record_calls_durably.sql):
// Postgres over a direct connection, Supabase through PostgREST RPC. Every method is one attempt
// with a deadline; it rejects with an AppError whose `retryable` says whether trying the same
// write again may succeed (the database unreachable, too slow, or busy), so a caller never waits
// longer than the deadline and durable_writes.ts decides about retrying.
import type { CallCompletion, CallStart } from './call_rows.ts';
import type { CallAnalysisRow, CallMessageRow, CallTurnRow } from './call_outcomes.ts';

export interface CallStore {
  /**
   * Writes the calls row of the call the worker named `callId` (a UUID picked before any write):
   * inserts the start when the row is missing, and completes it when `end` is given. Idempotent:
   * writing the same call again changes nothing, an end replaces an earlier end (or the sweep's
   * worker_lost). Resolves with the row's id: `callId`, or the row another job already wrote for
   * the same SIP call (same livekit_call_id).
   */
  recordCall(callId: string, start: CallStart, end?: CallCompletion): Promise<string>;
  /** The call is still live: moves heartbeat_at. False when the row is missing or closed. */
  heartbeat(callId: string): Promise<boolean>;
  /**
   * Closes open rows whose heartbeat is older than `lapseMs` (end_reason worker_lost) and says how
   * many; with `dryRun`, only counts them.
   */
  sweepLostCalls(lapseMs: number, options?: { dryRun?: boolean }): Promise<number>;
  /** Adds transcript turns to the call's row; turns already there (same seq) are skipped. */
  recordTurns(callId: string, turns: readonly CallTurnRow[]): Promise<void>;
  /**
   * Files a message taken on the call and resolves with its id. The same body again in the same
   * call is the same message (its name, number and urgency are replaced), never a second one.
   */
  recordMessage(callId: string, message: CallMessageRow): Promise<string>;
  /** Writes the post-call analysis onto the calls row (idempotent: the same values again change nothing). */
  recordAnalysis(callId: string, analysis: CallAnalysisRow): Promise<void>;
  /** ElevenLabs said voice_not_found for this config's voice: flag it for the owner (public.report_voice_not_found). */
  reportVoiceNotFound(agentConfigId: string, voiceId: string, source: string): Promise<void>;
  /** Releases connections (worker shutdown). Optional so simple stores need not have one. */
  close?(): Promise<void>;
}

/** How long one call-store request may take, client side and (Postgres) statement_timeout, in ms. */
export const DEFAULT_CALL_STORE_TIMEOUT_MS = 5_000;
