// Brings any Postgres >= 15 up to date: platform bootstrap (plain Postgres only), then the
// migrations through the real Supabase CLI, then supabase/seed.sql (written as upserts).
import { spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type postgres from 'postgres';
import { operatorConnection } from './operator_connection.ts';

export const PROJECT_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const BOOTSTRAP_SQL = path.join(PROJECT_ROOT, 'scripts/db/platform_bootstrap.sql');
const SEED_SQL = path.join(PROJECT_ROOT, 'supabase/seed.sql');
const SUPABASE_BIN = path.join(PROJECT_ROOT, 'node_modules/.bin/supabase');

export interface MigrateOptions {
  /** Apply supabase/seed.sql after the migrations. Default true. */
  seed?: boolean;
  /** Receives one line per step. Default: discard. */
  log?: (line: string) => void;
}

export interface MigrateResult {
  supabase: boolean;
  cliOutput: string;
}

export async function migrateDatabase(databaseUrl: string, options: MigrateOptions = {}): Promise<MigrateResult> {
  const log = options.log ?? (() => {});
  // Bootstrap and seed are a few statements; five minutes each bounds a stalled server, not real work.
  const sql = operatorConnection(databaseUrl, { connectTimeoutMs: 10_000, statementTimeoutMs: 300_000 });
  try {
    const supabase = await isSupabaseDatabase(sql);
    if (!supabase) {
      log('applying platform bootstrap (plain Postgres)');
      await sql.unsafe(await readFile(BOOTSTRAP_SQL, 'utf8'));
    }
    log('applying migrations with the Supabase CLI');
    const cliOutput = await runSupabaseCli(['migration', 'up', '--db-url', cliDatabaseUrl(databaseUrl)]);
    if (options.seed ?? true) {
      log('applying supabase/seed.sql');
      await sql.unsafe(await readFile(SEED_SQL, 'utf8'));
    }
    return { supabase, cliOutput };
  } finally {
    await sql.end({ timeout: 5 });
  }
}

/** Supabase databases have the platform's admin role; a plain Postgres does not. */
async function isSupabaseDatabase(sql: postgres.Sql): Promise<boolean> {
  const rows = await sql`select 1 from pg_roles where rolname = 'supabase_admin'`;
  return rows.length > 0;
}

/** The CLI speaks TLS by default, which a loopback Postgres refuses; keep any explicit sslmode. */
export function cliDatabaseUrl(databaseUrl: string): string {
  const url = new URL(databaseUrl);
  if (!url.searchParams.has('sslmode')) {
    const loopback = ['127.0.0.1', 'localhost', '[::1]', '::1'].includes(url.hostname);
    url.searchParams.set('sslmode', loopback ? 'disable' : 'require');
  }
  return url.toString();
}

export function runSupabaseCli(args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [SUPABASE_BIN, ...args, '--workdir', PROJECT_ROOT], {
      cwd: PROJECT_ROOT,
      env: { ...process.env, SUPABASE_TELEMETRY_DISABLED: '1', DO_NOT_TRACK: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) => {
      if (code === 0) resolve(output);
      else reject(new Error(`supabase ${args.slice(0, 2).join(' ')} failed (exit ${code}):\n${redactUrls(output)}`));
    });
  });
}

/** CLI output can echo the connection string; never print its password. */
function redactUrls(text: string): string {
  return text.replace(/(postgres(?:ql)?:\/\/[^:\s]+:)[^@\s]+@/g, '$1***@');
}
