// Database access over SUPABASE_DB_URL with the `postgres` client, the way PostgREST does it:
// each unit of work is one transaction that first sets the role and the JWT claims, so GRANTs
// and RLS apply exactly as for a Data API call. asServiceRole is for privileged work the
// caller's role cannot do (the function says why at each use).
import postgres from 'postgres';
import type { Caller } from './auth.ts';

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
}

export function createDatabase(url: string, options: DatabaseOptions = {}): Database {
  const sql = postgres(url, {
    max: options.max ?? 4,
    idle_timeout: options.idleTimeoutSeconds ?? 20,
    connect_timeout: 10,
    // Supabase's transaction pooler cannot keep named prepared statements.
    prepare: false,
    onnotice: () => {},
    connection: { application_name: 'switchboard-edge' },
  });

  function run<T>(role: string, claims: Record<string, unknown>, work: (tx: Tx) => Promise<T>): Promise<T> {
    return sql.begin(async (tx) => {
      await tx`select set_config('role', ${role}, true), set_config('request.jwt.claims', ${JSON.stringify(claims)}, true)`;
      return work(tx);
    }) as Promise<T>;
  }

  return {
    asCaller: (caller, work) => run(caller.role, caller.claims, work),
    asServiceRole: (work) => run('service_role', { role: 'service_role' }, work),
    end: () => sql.end({ timeout: 5 }),
  };
}
