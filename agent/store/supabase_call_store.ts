// CallStore through supabase-js: the service-role RPCs record_call_start, record_call_end and
// report_voice_not_found, so the worker needs nothing from PostgREST but /rest/v1/rpc/<fn>.
import { createClient, type SupabaseClient } from '@supabase/supabase-js';
import { AppError } from '../../shared/errors.ts';
import { rpcError } from '../config/supabase_errors.ts';
import type { CallCompletion, CallStart, CallStore } from '../config/types.ts';
import { callEndRecord, callStartRecord, DEFAULT_CALL_STORE_RETRY_DELAYS_MS, withRetries } from './call_record.ts';

export interface SupabaseCallStoreOptions {
  supabaseUrl: string;
  /** The service_role key: calls rows are written across owners. */
  serviceRoleKey: string;
  /** Delays before each retry of a write Supabase did not answer (no response or 5xx). */
  retryDelaysMs?: readonly number[];
  fetch?: typeof fetch;
}

export class SupabaseCallStore implements CallStore {
  private readonly client: SupabaseClient;
  private readonly retryDelaysMs: readonly number[];

  constructor(options: SupabaseCallStoreOptions) {
    this.client = createClient(options.supabaseUrl, options.serviceRoleKey, {
      auth: { persistSession: false, autoRefreshToken: false, detectSessionInUrl: false },
      ...(options.fetch ? { global: { fetch: options.fetch } } : {}),
    });
    this.retryDelaysMs = options.retryDelaysMs ?? DEFAULT_CALL_STORE_RETRY_DELAYS_MS;
  }

  async startCall(call: CallStart): Promise<string> {
    return (await this.rpc('record_call_start', { p: callStartRecord(call) })) as string;
  }

  async completeCall(callId: string, completion: CallCompletion): Promise<void> {
    await this.rpc('record_call_end', { p_call_id: callId, p: callEndRecord(completion) });
  }

  async reportVoiceNotFound(agentConfigId: string, voiceId: string, source: string): Promise<void> {
    await this.rpc('report_voice_not_found', { p_agent_config_id: agentConfigId, p_voice_id: voiceId, p_source: source });
  }

  async close(): Promise<void> {
    await this.client.removeAllChannels();
  }

  private rpc(fn: string, args: Record<string, unknown>): Promise<unknown> {
    return withRetries(
      async () => {
        const { data, error, status } = await this.client.rpc(fn, args);
        if (!error) return data;
        throw rpcError(fn, error, status);
      },
      (error) => error instanceof AppError && error.retryable,
      this.retryDelaysMs,
    );
  }
}

