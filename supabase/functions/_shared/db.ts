// Database access over SUPABASE_DB_URL with the `postgres` client, the way PostgREST does it:
// each unit of work is one transaction that first sets the role and the JWT claims, so GRANTs
// and RLS apply exactly as for a Data API call. asServiceRole is for privileged work the
// caller's role cannot do (the function says why at each use).
//
// Deadlines: connecting (DB_CONNECT_TIMEOUT_MS), each statement on the server
// (DB_STATEMENT_TIMEOUT_MS, set in every transaction, so it holds behind a pooler too), and the
// whole unit of work on the client (DB_TIMEOUT_MS: waiting for a connection, connecting, every
// statement, commit). A database that refuses, resets, stalls or overruns gives 503
// `unavailable` with Retry-After (db_errors.ts); an overrun also replaces the pool (db_pool.ts).
import postgres from 'postgres';
import type { Caller } from './auth.ts';
import { Deadline } from '../../../shared/deadline.ts';
import { classifyDatabaseError } from './db_errors.ts';
import { createReplaceablePool } from './db_pool.ts';
import { guardPostgresTypeFetch } from './db_type_fetch_guard.ts';

export type Tx = postgres.TransactionSql;

export interface Database {
  /** Runs `work` as the caller (role + request.jwt.claims), in one transaction. */
  asCaller<T>(caller: Caller, work: (tx: Tx) => Promise<T>): Promise<T>;
  /** Runs `work` as service_role (bypasses RLS, not GRANTs), in one transaction. */
  asServiceRole<T>(work: (tx: Tx) => Promise<T>): Promise<T>;
  end(): Promise<void>;
}

export interface DatabaseOptions {
  /** Pool size. Default 4. */
  max?: number;
  /** Seconds an idle connection stays open. Default 20. */
  idleTimeoutSeconds?: number;
  /** Opening a connection (TCP, startup, auth). Default 5000 ms. */
  connectTimeoutMs?: number;
  /** Server-side limit on each statement (statement_timeout). Default 5000 ms. */
  statementTimeoutMs?: number;
  /** Client-side limit on one unit of work, connecting and waiting for a connection included. Default 10000 ms. */
  timeoutMs?: number;
}

export const DEFAULT_DB_CONNECT_TIMEOUT_MS = 5_000;
export const DEFAULT_DB_STATEMENT_TIMEOUT_MS = 5_000;
export const DEFAULT_DB_TIMEOUT_MS = 10_000;

/** The options the platform env names (DB_POOL_MAX, DB_*_TIMEOUT_MS). */
export function databaseOptionsFromEnv(env: {
  DB_POOL_MAX: number;
  DB_CONNECT_TIMEOUT_MS: number;
  DB_STATEMENT_TIMEOUT_MS: number;
  DB_TIMEOUT_MS: number;
}): DatabaseOptions {
  return {
    max: env.DB_POOL_MAX,
    connectTimeoutMs: env.DB_CONNECT_TIMEOUT_MS,
    statementTimeoutMs: env.DB_STATEMENT_TIMEOUT_MS,
    timeoutMs: env.DB_TIMEOUT_MS,
  };
}

export function createDatabase(url: string, options: DatabaseOptions = {}): Database {
  guardPostgresTypeFetch();
  const statementTimeout = String(options.statementTimeoutMs ?? DEFAULT_DB_STATEMENT_TIMEOUT_MS);
  const timeoutMs = options.timeoutMs ?? DEFAULT_DB_TIMEOUT_MS;
  const pool = createReplaceablePool(() =>
    postgres(url, {
      max: options.max ?? 4,
      idle_timeout: options.idleTimeoutSeconds ?? 20,
      connect_timeout: (options.connectTimeoutMs ?? DEFAULT_DB_CONNECT_TIMEOUT_MS) / 1000,
      // Supabase's transaction pooler cannot keep named prepared statements.
      prepare: false,
      onnotice: () => {},
      connection: { application_name: 'switchboard-edge' },
    }),
  );

  async function run<T>(role: string, claims: Record<string, unknown>, work: (tx: Tx) => Promise<T>): Promise<T> {
    const sql = pool.current();
    const deadline = new Deadline(timeoutMs);
    const transaction = sql.begin(async (tx) => {
      await tx`select set_config('role', ${role}, true), set_config('request.jwt.claims', ${JSON.stringify(claims)}, true),
        set_config('statement_timeout', ${statementTimeout}, true)`;
      return work(tx);
    }) as Promise<T>;
    transaction.catch(() => {}); // after an overrun, its failure is no longer anyone's answer
    try {
      return await deadline.race(transaction);
    } catch (error) {
      if (deadline.expired) pool.discard(sql);
      throw classifyDatabaseError(error);
    } finally {
      deadline.clear();
    }
  }

  return {
    asCaller: (caller, work) => run(caller.role, caller.claims, work),
    asServiceRole: (work) => run('service_role', { role: 'service_role' }, work),
    end: () => pool.end(),
  };
}
