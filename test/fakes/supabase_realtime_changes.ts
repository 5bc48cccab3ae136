// How the Realtime fake turns one committed change into postgres_changes payloads, reading the
// real database: the changed rows as they are now, the columns the subscriber's role may SELECT
// (pg_attribute/pg_type names, attnum order), RLS visibility checked as that role (except for
// DELETE, which Realtime does not filter), and old records reduced to the primary key on
// RLS-protected tables, as the real server does.
import type postgres from 'postgres';
import type { Caller } from './postgrest_auth.ts';

export interface PendingChange {
  table: string;
  op: 'insert' | 'update' | 'delete';
  rows: Array<Record<string, unknown>>;
  all: boolean;
}

export interface ChangeRow {
  table: string;
  type: 'INSERT' | 'UPDATE' | 'DELETE';
  pk: Record<string, string>;
  /** The row as committed (INSERT/UPDATE); null for DELETE. */
  record: Record<string, unknown> | null;
  commitTimestamp: string;
}

interface BindingLike {
  id: number;
  event: string;
  schema: string;
  table: string;
  filter?: string;
}

interface TableInfo {
  pk: string;
  rls: boolean;
  columns: Array<{ name: string; type: string }>;
}

const tableCache = new WeakMap<postgres.Sql, Map<string, TableInfo>>();
const columnCache = new WeakMap<postgres.Sql, Map<string, Set<string>>>();
const bypassCache = new WeakMap<postgres.Sql, Map<string, boolean>>();

async function tableInfo(sql: postgres.Sql, table: string): Promise<TableInfo> {
  const cache = tableCache.get(sql) ?? new Map<string, TableInfo>();
  tableCache.set(sql, cache);
  const hit = cache.get(table);
  if (hit) return hit;
  const relation = `public.${quoteIdent(table)}`;
  const [meta] = await sql<{ pk: string; rls: boolean }[]>`
    select (select a.attname from pg_index i join pg_attribute a on a.attrelid = i.indrelid and a.attnum = i.indkey[0]
             where i.indrelid = c.oid and i.indisprimary) as pk,
           c.relrowsecurity as rls
      from pg_class c where c.oid = ${relation}::regclass`;
  const columns = await sql<{ name: string; type: string }[]>`
    select a.attname as name, t.typname as type
      from pg_attribute a join pg_type t on t.oid = a.atttypid
     where a.attrelid = ${relation}::regclass and a.attnum > 0 and not a.attisdropped
     order by a.attnum`;
  const info = { pk: meta!.pk, rls: meta!.rls, columns: [...columns] };
  cache.set(table, info);
  return info;
}

/** The changed rows, read now; null when they cannot be known (a bulk delete). */
export async function loadChangedRows(sql: postgres.Sql, change: PendingChange): Promise<ChangeRow[] | null> {
  const info = await tableInfo(sql, change.table);
  const commitTimestamp = new Date().toISOString();
  const keys = [...new Set(change.rows.map((r) => r[info.pk]).filter((v) => v !== undefined && v !== null).map(String))];
  if (change.op === 'delete') {
    if (change.all) return null;
    return keys.map((key) => ({ table: change.table, type: 'DELETE', pk: { [info.pk]: key }, record: null, commitTimestamp }));
  }
  const relation = `public.${quoteIdent(change.table)}`;
  const rows = change.all
    ? await sql.unsafe<{ row: Record<string, unknown> }[]>(`select to_jsonb(t) as row from ${relation} t`)
    : await sql.unsafe<{ row: Record<string, unknown> }[]>(
        `select to_jsonb(t) as row from ${relation} t where t.${quoteIdent(info.pk)}::text = any($1::text[])`, [keys]);
  const type = change.op === 'insert' ? 'INSERT' : 'UPDATE';
  return rows.map(({ row }) => ({ table: change.table, type, pk: { [info.pk]: String(row[info.pk]) }, record: row, commitTimestamp }));
}

/** The postgres_changes payloads (zero or one) this subscriber gets for `row`. */
export async function buildChangeMessages(
  sql: postgres.Sql,
  caller: Caller,
  bindings: BindingLike[],
  row: ChangeRow,
): Promise<Array<Record<string, unknown>>> {
  const matching = bindings.filter((b) =>
    b.schema === 'public' && (b.table === '*' || b.table === row.table) && (b.event === '*' || b.event === row.type) &&
    filterMatches(b.filter, row.record));
  if (matching.length === 0) return [];
  const info = await tableInfo(sql, row.table);
  const selectable = await selectableColumns(sql, caller.role, row.table, info);
  const data: Record<string, unknown> = {
    schema: 'public',
    table: row.table,
    commit_timestamp: row.commitTimestamp,
    type: row.type,
    columns: info.columns.filter((c) => selectable.has(c.name)),
    errors: null,
  };
  if (selectable.size === 0) {
    data.errors = ['Error 401: Unauthorized'];
    if (row.type !== 'DELETE') data.record = {};
    if (row.type !== 'INSERT') data.old_record = {};
    return [{ ids: matching.map((b) => b.id), data }];
  }
  if (row.type !== 'DELETE' && info.rls && !(await bypassesRls(sql, caller.role)) && !(await visibleTo(sql, caller, row, info))) return [];
  if (row.record) data.record = Object.fromEntries(Object.entries(row.record).filter(([k]) => selectable.has(k)));
  // Replica identity is full, but on RLS tables the old record carries only the primary key.
  if (row.type !== 'INSERT') data.old_record = { ...row.pk };
  return [{ ids: matching.map((b) => b.id), data }];
}

async function selectableColumns(sql: postgres.Sql, role: string, table: string, info: TableInfo): Promise<Set<string>> {
  const cache = columnCache.get(sql) ?? new Map<string, Set<string>>();
  columnCache.set(sql, cache);
  const key = `${role}:${table}`;
  const hit = cache.get(key);
  if (hit) return hit;
  const rows = await sql<{ name: string }[]>`
    select c.name from unnest(${sql.array(info.columns.map((c) => c.name))}::text[]) as c (name)
     where has_column_privilege(${role}, ${`public.${quoteIdent(table)}`}, c.name, 'SELECT')`;
  const set = new Set(rows.map((r) => r.name));
  cache.set(key, set);
  return set;
}

async function bypassesRls(sql: postgres.Sql, role: string): Promise<boolean> {
  const cache = bypassCache.get(sql) ?? new Map<string, boolean>();
  bypassCache.set(sql, cache);
  const hit = cache.get(role);
  if (hit !== undefined) return hit;
  const [row] = await sql<{ bypass: boolean }[]>`select rolbypassrls as bypass from pg_roles where rolname = ${role}`;
  cache.set(role, row?.bypass ?? false);
  return row?.bypass ?? false;
}

async function visibleTo(sql: postgres.Sql, caller: Caller, row: ChangeRow, info: TableInfo): Promise<boolean> {
  const key = row.pk[info.pk]!;
  return sql.begin(async (tx) => {
    await tx`select set_config('role', ${caller.role}, true), set_config('request.jwt.claims', ${JSON.stringify(caller.claims)}, true)`;
    const [found] = await tx.unsafe<{ visible: boolean }[]>(
      `select exists(select 1 from public.${quoteIdent(row.table)} t where t.${quoteIdent(info.pk)}::text = $1) as visible`, [key]);
    return found?.visible ?? false;
  }) as Promise<boolean>;
}

/** `column=op.value` filters (eq, neq, lt, lte, gt, gte, in); DELETE events are not filtered. */
export function filterMatches(filter: string | undefined, record: Record<string, unknown> | null): boolean {
  if (!filter || !record) return true;
  const match = /^([^=]+)=(eq|neq|lt|lte|gt|gte|in)\.(.*)$/.exec(filter);
  if (!match) return false;
  const [, column, op, raw] = match as unknown as [string, string, string, string];
  const value = record[column];
  const text = value === null || value === undefined ? 'null' : String(value);
  const compare = (a: string, b: string) => (Number.isFinite(Number(a)) && Number.isFinite(Number(b)) ? Number(a) - Number(b) : a.localeCompare(b));
  switch (op) {
    case 'eq': return text === raw;
    case 'neq': return text !== raw;
    case 'lt': return compare(text, raw) < 0;
    case 'lte': return compare(text, raw) <= 0;
    case 'gt': return compare(text, raw) > 0;
    case 'gte': return compare(text, raw) >= 0;
    default: return raw.replace(/^\(|\)$/g, '').split(',').map((s) => s.trim()).includes(text);
  }
}

function quoteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}
