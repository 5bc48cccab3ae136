// Per-test-file database: a clone of the migrated template on the run's embedded Postgres,
// plus persona helpers. `as()` runs work inside a transaction with `set local role` and the JWT
// claims, exactly as PostgREST does, so RLS and GRANTs are really exercised. The superuser
// connection (`sql`) bypasses RLS: use it only to arrange data, never to assert access.
import { randomBytes } from 'node:crypto';
import postgres from 'postgres';
import { inject } from 'vitest';
import { type Persona, userPersona } from './personas.ts';

export interface TestDatabase {
  /** Superuser URL of this file's database. */
  url: string;
  /** Superuser connection (bypasses RLS): for arranging data only. */
  sql: postgres.Sql;
  /** Runs `work` as the persona in one transaction, committed unless it throws. */
  as<T>(persona: Persona, work: (sql: postgres.TransactionSql) => Promise<T>): Promise<T>;
  /** Creates an auth.users row and returns the signed-in persona for it. */
  createUser(email?: string, appMetadata?: Record<string, unknown>): Promise<Persona>;
  close(): Promise<void>;
}

export async function createTestDatabase(): Promise<TestDatabase> {
  const adminUrl = inject('databaseAdminUrl');
  const template = inject('templateDatabase');
  const name = `test_${randomBytes(6).toString('hex')}`;
  const admin = postgres(adminUrl, { max: 1, onnotice: () => {} });
  await admin.unsafe(`create database ${name} template ${template}`);
  await admin.end();
  const url = databaseUrl(adminUrl, name);
  const sql = postgres(url, { max: 4, onnotice: () => {} });

  return {
    url,
    sql,
    as: (persona, work) =>
      sql.begin(async (tx) => {
        await tx`select set_config('role', ${persona.role}, true), set_config('request.jwt.claims', ${JSON.stringify(persona.claims)}, true)`;
        return work(tx);
      }) as Promise<never>,
    async createUser(email, appMetadata = {}) {
      const id = crypto.randomUUID();
      const address = email ?? `${id.slice(0, 8)}@example.test`;
      await sql`insert into auth.users (id, email, aud, role, raw_app_meta_data, raw_user_meta_data, created_at, updated_at)
                values (${id}, ${address}, 'authenticated', 'authenticated',
                        ${sql.json({ provider: 'email', ...appMetadata } as postgres.JSONValue)}, '{}', now(), now())`;
      return userPersona(id, address, appMetadata);
    },
    close: () => sql.end({ timeout: 5 }),
  };
}

function databaseUrl(adminUrl: string, database: string): string {
  const url = new URL(adminUrl);
  url.pathname = `/${database}`;
  return url.toString();
}
