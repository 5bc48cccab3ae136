// CallStore through supabase-js: the service-role functions record_call, record_call_heartbeat,
// sweep_lost_calls, report_voice_not_found and the call outcomes' record_call_turns,
// record_call_message and record_call_analysis, so the worker needs nothing from PostgREST but
// /rest/v1/rpc/<fn>. Each request is aborted at its deadline (a stalled gateway or PostgREST
// never answers by itself); on the server, the functions bound their lock waits (lock_timeout),
// and PostgREST's role statement_timeout applies where the project sets one.
import { createClient, type SupabaseClient } from '@supabase/supabase-js';
import { rpcError } from '../config/supabase_errors.ts';
import type { CallCompletion, CallStart } from '../config/types.ts';
import { callAnalysisRecord, type CallAnalysisRow, type CallMessageRow, type CallTurnRow } from './call_outcomes.ts';
import { callEndRecord, callStartRecord } from './call_record.ts';
import { type CallStore, DEFAULT_CALL_STORE_TIMEOUT_MS } from './call_store.ts';
import { withDeadline } from './deadline.ts';

export interface SupabaseCallStoreOptions {
  supabaseUrl: string;
  /** The service_role key: calls rows are written across owners. */
  serviceRoleKey: string;
  /** Deadline of each request, in ms. Default DEFAULT_CALL_STORE_TIMEOUT_MS. */
  timeoutMs?: number;
  fetch?: typeof fetch;
}

export class SupabaseCallStore implements CallStore {
  readonly #client: SupabaseClient;
  readonly #timeoutMs: number;

  constructor(options: SupabaseCallStoreOptions) {
    this.#client = createClient(options.supabaseUrl, options.serviceRoleKey, {
      auth: { persistSession: false, autoRefreshToken: false, detectSessionInUrl: false },
      ...(options.fetch ? { global: { fetch: options.fetch } } : {}),
    });
    this.#timeoutMs = options.timeoutMs ?? DEFAULT_CALL_STORE_TIMEOUT_MS;
  }

  async recordCall(callId: string, start: CallStart, end?: CallCompletion): Promise<string> {
    const p = end ? { ...callStartRecord(start), ...callEndRecord(end) } : callStartRecord(start);
    return (await this.#rpc('record_call', { p_call_id: callId, p })) as string;
  }

  async heartbeat(callId: string): Promise<boolean> {
    return (await this.#rpc('record_call_heartbeat', { p_call_id: callId })) === true;
  }

  async sweepLostCalls(lapseMs: number, options: { dryRun?: boolean } = {}): Promise<number> {
    return (await this.#rpc('sweep_lost_calls', {
      p_lapse_ms: Math.round(lapseMs),
      p_dry_run: options.dryRun ?? false,
    })) as number;
  }

  async recordTurns(callId: string, turns: readonly CallTurnRow[]): Promise<void> {
    await this.#rpc('record_call_turns', { p_call_id: callId, p_turns: turns });
  }

  async recordMessage(callId: string, message: CallMessageRow): Promise<string> {
    return (await this.#rpc('record_call_message', { p_call_id: callId, p: message })) as string;
  }

  async recordAnalysis(callId: string, analysis: CallAnalysisRow): Promise<void> {
    await this.#rpc('record_call_analysis', { p_call_id: callId, p: callAnalysisRecord(analysis) });
  }

  async reportVoiceNotFound(agentConfigId: string, voiceId: string, source: string): Promise<void> {
    await this.#rpc('report_voice_not_found', {
      p_agent_config_id: agentConfigId,
      p_voice_id: voiceId,
      p_source: source,
    });
  }

  async close(): Promise<void> {
    await this.#client.removeAllChannels();
  }

  #rpc(fn: string, args: Record<string, unknown>): Promise<unknown> {
    return withDeadline(
      async (signal) => {
        const { data, error, status } = await this.#client.rpc(fn, args).abortSignal(signal);
        if (error) throw rpcError(fn, error, status);
        return data;
      },
      { timeoutMs: this.#timeoutMs, what: fn },
    );
  }
}
