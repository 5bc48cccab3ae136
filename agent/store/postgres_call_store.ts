// CallStore over a direct Postgres connection: the same service-role functions the Supabase store
// calls through PostgREST, so both backends write calls rows with one piece of SQL. Each request
// has a deadline twice over: statement_timeout on the session (the server gives up) and a client
// timer (a frozen server or path gives no answer at all). A request that misses the client
// deadline replaces the pool, because its connection is stuck and would block the next requests.
import postgres from 'postgres';
import type { CallCompletion, CallStart } from '../config/types.ts';
import { callAnalysisRecord, type CallAnalysisRow, type CallMessageRow, type CallTurnRow } from './call_outcomes.ts';
import { callEndRecord, callStartRecord } from './call_record.ts';
import { type CallStore, DEFAULT_CALL_STORE_TIMEOUT_MS } from './call_store.ts';
import { withDeadline } from './deadline.ts';
import { toStoreError } from './postgres_errors.ts';
import { guardPostgresTypeFetch } from './postgres_type_fetch_guard.ts';

export interface PostgresCallStoreOptions {
  databaseUrl: string;
  /** Pool size. Default 2. */
  poolSize?: number;
  /** Connect timeout, in ms. Default 2 000. */
  connectTimeoutMs?: number;
  /** Deadline of each request, client side and as statement_timeout, in ms. Default DEFAULT_CALL_STORE_TIMEOUT_MS. */
  timeoutMs?: number;
}

type Query = (sql: postgres.Sql) => Promise<postgres.Row[]>;

export class PostgresCallStore implements CallStore {
  readonly #options: Required<PostgresCallStoreOptions>;
  #sql: postgres.Sql;

  constructor(options: PostgresCallStoreOptions) {
    this.#options = { poolSize: 2, connectTimeoutMs: 2_000, timeoutMs: DEFAULT_CALL_STORE_TIMEOUT_MS, ...options };
    this.#sql = this.#connect();
  }

  async recordCall(callId: string, start: CallStart, end?: CallCompletion): Promise<string> {
    const p = end ? { ...callStartRecord(start), ...callEndRecord(end) } : callStartRecord(start);
    const rows = await this.#run(
      'record_call',
      (sql) => sql`select public.record_call(${callId}, ${sql.json(p as postgres.JSONValue)}) as id`,
    );
    return rows[0]!.id as string;
  }

  async heartbeat(callId: string): Promise<boolean> {
    const rows = await this.#run(
      'record_call_heartbeat',
      (sql) => sql`select public.record_call_heartbeat(${callId}) as live`,
    );
    return rows[0]!.live === true;
  }

  async sweepLostCalls(lapseMs: number, options: { dryRun?: boolean } = {}): Promise<number> {
    const rows = await this.#run(
      'sweep_lost_calls',
      (sql) =>
        sql`select public.sweep_lost_calls(${Math.round(lapseMs)}::integer, ${options.dryRun ?? false}) as swept`,
    );
    return rows[0]!.swept as number;
  }

  async recordTurns(callId: string, turns: readonly CallTurnRow[]): Promise<void> {
    const json = turns as unknown as postgres.JSONValue;
    await this.#run('record_call_turns', (sql) => sql`select public.record_call_turns(${callId}, ${sql.json(json)})`);
  }

  async recordMessage(callId: string, message: CallMessageRow): Promise<string> {
    const json = message as unknown as postgres.JSONValue;
    const rows = await this.#run(
      'record_call_message',
      (sql) => sql`select public.record_call_message(${callId}, ${sql.json(json)}) as id`,
    );
    return rows[0]!.id as string;
  }

  async recordAnalysis(callId: string, analysis: CallAnalysisRow): Promise<void> {
    const json = callAnalysisRecord(analysis) as postgres.JSONValue;
    await this.#run(
      'record_call_analysis',
      (sql) => sql`select public.record_call_analysis(${callId}, ${sql.json(json)})`,
    );
  }

  async reportVoiceNotFound(agentConfigId: string, voiceId: string, source: string): Promise<void> {
    await this.#run(
      'report_voice_not_found',
      (sql) => sql`select public.report_voice_not_found(${agentConfigId}, ${voiceId}, ${source})`,
    );
  }

  close(): Promise<void> {
    return this.#sql.end({ timeout: 1 });
  }

  #connect(): postgres.Sql {
    guardPostgresTypeFetch();
    return postgres(this.#options.databaseUrl, {
      max: this.#options.poolSize,
      connect_timeout: this.#options.connectTimeoutMs / 1000,
      connection: { statement_timeout: this.#options.timeoutMs },
      // postgres.js reads array types on each new connection, and a reset during that read is an
      // unhandled rejection; the calls functions take only text, uuid and json.
      fetch_types: false,
      onnotice: () => {},
    });
  }

  #run(what: string, query: Query): Promise<postgres.Row[]> {
    const sql = this.#sql;
    return withDeadline(
      async () => {
        try {
          return await query(sql);
        } catch (error) {
          throw toStoreError(error, what);
        }
      },
      { timeoutMs: this.#options.timeoutMs, what, onExpired: () => this.#replacePool(sql) },
    );
  }

  /** The pool's connection is stuck (a frozen server or path): later requests get a new pool. */
  #replacePool(stuck: postgres.Sql): void {
    if (this.#sql !== stuck) return;
    this.#sql = this.#connect();
    void stuck.end({ timeout: 0 }).catch(() => {});
  }
}
