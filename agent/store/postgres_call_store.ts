// CallStore over a direct Postgres connection: the same service-role RPCs the Supabase store
// calls through PostgREST, so both backends write calls rows with one piece of SQL.
import postgres from 'postgres';
import { AppError } from '../../shared/errors.ts';
import type { CallCompletion, CallStart, CallStore } from '../config/types.ts';
import { callEndRecord, callStartRecord, DEFAULT_CALL_STORE_RETRY_DELAYS_MS, withRetries } from './call_record.ts';

export interface PostgresCallStoreOptions {
  databaseUrl: string;
  /** Pool size. Default 2. */
  poolSize?: number;
  /** Connect timeout, in ms. Default 2 000. */
  connectTimeoutMs?: number;
  /** Delays before each retry of a write that failed on the connection. */
  retryDelaysMs?: readonly number[];
}

export class PostgresCallStore implements CallStore {
  private readonly sql: postgres.Sql;
  private readonly retryDelaysMs: readonly number[];

  constructor(options: PostgresCallStoreOptions) {
    this.sql = postgres(options.databaseUrl, {
      max: options.poolSize ?? 2,
      connect_timeout: (options.connectTimeoutMs ?? 2_000) / 1000,
      onnotice: () => {},
    });
    this.retryDelaysMs = options.retryDelaysMs ?? DEFAULT_CALL_STORE_RETRY_DELAYS_MS;
  }

  async startCall(call: CallStart): Promise<string> {
    const rows = await this.run(() => this.sql`select public.record_call_start(${this.sql.json(callStartRecord(call) as postgres.JSONValue)}) as id`);
    return rows[0]!.id as string;
  }

  async completeCall(callId: string, completion: CallCompletion): Promise<void> {
    await this.run(() => this.sql`select public.record_call_end(${callId}, ${this.sql.json(callEndRecord(completion) as postgres.JSONValue)})`);
  }

  async reportVoiceNotFound(agentConfigId: string, voiceId: string, source: string): Promise<void> {
    await this.run(() => this.sql`select public.report_voice_not_found(${agentConfigId}, ${voiceId}, ${source})`);
  }

  close(): Promise<void> {
    return this.sql.end({ timeout: 1 });
  }

  private async run(query: () => Promise<postgres.Row[]>): Promise<postgres.Row[]> {
    try {
      return await withRetries(query, isConnectionError, this.retryDelaysMs);
    } catch (error) {
      throw toStoreError(error);
    }
  }
}

function isConnectionError(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && (/^(08|53|57P0)/.test(code) || /^(ECONN|ETIMEDOUT|EHOSTUNREACH|CONNECT_TIMEOUT|CONNECTION_)/.test(code));
}

function toStoreError(error: unknown): AppError {
  if (isConnectionError(error)) return new AppError('unavailable', 'The calls database is unreachable.', { cause: error, retryable: true });
  const message = (error as { message?: unknown } | null)?.message;
  return new AppError('invalid_request', `The calls database refused the write: ${typeof message === 'string' ? message : 'unknown error'}`, { cause: error });
}
