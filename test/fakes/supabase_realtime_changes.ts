// How the Realtime fake turns one committed row change into postgres_changes payloads, as the
// real server's apply_rls does (supabase/walrus): the row as committed and, for UPDATE and
// DELETE, the old row as replica identity gives it. Changes are captured per row by a trigger the
// fake installs in its own schema (`realtime_fake`, standing in for the WAL); the payload holds
// the columns the subscriber's role may SELECT (pg_attribute/pg_type names, attnum order), RLS
// visibility is checked as that role (except for DELETE, which Realtime does not filter), the
// old record is the full row on UPDATE (replica identity full) and only the primary key on
// DELETE from an RLS table, and a change over the record size limit carries only the values of
// at most 64 bytes, with `errors: ["Error 413: Payload Too Large"]`.
import type postgres from 'postgres';
import type { Caller } from './postgrest_auth.ts';

/** The channel the capture trigger notifies with each captured change's id. */
export const CAPTURE_CHANNEL = 'realtime_fake_changes';

/** Realtime's max_record_bytes: 1 MiB. */
export const DEFAULT_MAX_RECORD_BYTES = 1_048_576;
/** Values kept in an over-size record: those whose JSON text is at most this long. */
const SMALL_VALUE_BYTES = 64;
export const PAYLOAD_TOO_LARGE = 'Error 413: Payload Too Large';

export interface ChangeRow {
  table: string;
  type: 'INSERT' | 'UPDATE' | 'DELETE';
  pk: Record<string, string>;
  /** The row as committed (INSERT/UPDATE); null for DELETE. */
  record: Record<string, unknown> | null;
  /** The row before the change (UPDATE/DELETE); null for INSERT. */
  oldRecord: Record<string, unknown> | null;
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
  /** replica identity full: UPDATE and DELETE carry the whole old row in the WAL. */
  identityFull: boolean;
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
  const [meta] = await sql<{ pk: string; rls: boolean; identity: string }[]>`
    select (select a.attname from pg_index i join pg_attribute a on a.attrelid = i.indrelid and a.attnum = i.indkey[0]
             where i.indrelid = c.oid and i.indisprimary) as pk,
           c.relrowsecurity as rls, c.relreplident::text as identity
      from pg_class c where c.oid = ${relation}::regclass`;
  const columns = await sql<{ name: string; type: string }[]>`
    select a.attname as name, t.typname as type
      from pg_attribute a join pg_type t on t.oid = a.atttypid
     where a.attrelid = ${relation}::regclass and a.attnum > 0 and not a.attisdropped
     order by a.attnum`;
  const info = { pk: meta!.pk, rls: meta!.rls, identityFull: meta!.identity === 'f', columns: [...columns] };
  cache.set(table, info);
  return info;
}

/**
 * Installs the capture: a `realtime_fake.changes` table, filled by an after-row trigger on every
 * table in `public`, and a NOTIFY on CAPTURE_CHANNEL with the new entry's id at commit.
 */
export async function installCapture(sql: postgres.Sql): Promise<void> {
  await sql.unsafe(`
    create schema if not exists realtime_fake;
    create table if not exists realtime_fake.changes (
      id bigint generated always as identity primary key,
      table_schema text not null,
      table_name text not null,
      op text not null,
      old_row jsonb,
      new_row jsonb,
      captured_at timestamptz not null default clock_timestamp()
    );
    create or replace function realtime_fake.capture() returns trigger
    language plpgsql security definer set search_path = ''
    as $$
    declare
      change_id bigint;
    begin
      insert into realtime_fake.changes (table_schema, table_name, op, old_row, new_row)
      values (tg_table_schema, tg_table_name, tg_op,
              case when tg_op <> 'INSERT' then to_jsonb(old) end,
              case when tg_op <> 'DELETE' then to_jsonb(new) end)
      returning id into change_id;
      perform pg_notify('${CAPTURE_CHANNEL}', change_id::text);
      return null;
    end $$;`);
  const tables = await sql<{ name: string }[]>`
    select c.relname as name from pg_class c join pg_namespace n on n.oid = c.relnamespace
     where n.nspname = 'public' and c.relkind = 'r'`;
  for (const { name } of tables) {
    await sql.unsafe(`create or replace trigger realtime_fake_capture after insert or update or delete on public.${quoteIdent(name)}
      for each row execute function realtime_fake.capture()`);
  }
}

/**
 * The captured change with this id, removed from the capture table; null when it is gone or its
 * table is not in the supabase_realtime publication (Realtime streams only published tables).
 */
export async function takeCapturedChange(sql: postgres.Sql, id: string): Promise<ChangeRow | null> {
  const [entry] = await sql<
    {
      table_schema: string;
      table_name: string;
      op: string;
      old_row: Record<string, unknown> | null;
      new_row: Record<string, unknown> | null;
      captured_at: Date;
      published: boolean;
    }[]
  >`
    delete from realtime_fake.changes c where c.id = ${id}
    returning c.table_schema, c.table_name, c.op, c.old_row, c.new_row, c.captured_at,
      exists(select 1 from pg_publication_tables p where p.pubname = 'supabase_realtime'
              and p.schemaname = c.table_schema and p.tablename = c.table_name) as published`;
  if (!entry?.published || entry.table_schema !== 'public') return null;
  const info = await tableInfo(sql, entry.table_name);
  const keyed = entry.new_row ?? entry.old_row ?? {};
  return {
    table: entry.table_name,
    type: entry.op as ChangeRow['type'],
    pk: { [info.pk]: String(keyed[info.pk]) },
    record: entry.new_row,
    oldRecord: entry.old_row,
    commitTimestamp: entry.captured_at.toISOString(),
  };
}

/** The postgres_changes payloads (zero or one) this subscriber gets for `row`. */
export async function buildChangeMessages(
  sql: postgres.Sql,
  caller: Caller,
  bindings: BindingLike[],
  row: ChangeRow,
  maxRecordBytes: number = DEFAULT_MAX_RECORD_BYTES,
): Promise<Array<Record<string, unknown>>> {
  const matching = bindings.filter(
    (b) =>
      b.schema === 'public' &&
      (b.table === '*' || b.table === row.table) &&
      (b.event === '*' || b.event === row.type) &&
      (filterMatches(b.filter, row.record) || (row.type === 'DELETE' && filterMatches(b.filter, row.oldRecord))),
  );
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
  if (
    row.type !== 'DELETE' &&
    info.rls &&
    !(await bypassesRls(sql, caller.role)) &&
    !(await visibleTo(sql, caller, row, info))
  )
    return [];
  // The real server sizes the decoded WAL entry (new and old values with their column types).
  const tooLarge = Buffer.byteLength(JSON.stringify([info.columns, row.record, row.oldRecord])) > maxRecordBytes;
  const keep = (record: Record<string, unknown>, onlyKey: boolean) =>
    Object.fromEntries(
      Object.entries(record).filter(
        ([k, v]) =>
          selectable.has(k) &&
          (!onlyKey || k === info.pk) &&
          (!tooLarge || Buffer.byteLength(JSON.stringify(v ?? null)) <= SMALL_VALUE_BYTES),
      ),
    );
  if (row.record) data.record = keep(row.record, false);
  // Without full replica identity the WAL holds only the old key. With it, UPDATE carries the
  // whole old row; DELETE too, except on RLS tables, whose deletes cannot be secured: key only.
  const old = info.identityFull ? row.oldRecord : row.oldRecord && { [info.pk]: row.oldRecord[info.pk] };
  if (row.type === 'UPDATE' && old) data.old_record = keep(old, false);
  if (row.type === 'DELETE' && old) data.old_record = keep(old, info.rls);
  if (tooLarge) data.errors = [PAYLOAD_TOO_LARGE];
  return [{ ids: matching.map((b) => b.id), data }];
}

async function selectableColumns(
  sql: postgres.Sql,
  role: string,
  table: string,
  info: TableInfo,
): Promise<Set<string>> {
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
      `select exists(select 1 from public.${quoteIdent(row.table)} t where t.${quoteIdent(info.pk)}::text = $1) as visible`,
      [key],
    );
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
  const compare = (a: string, b: string) =>
    Number.isFinite(Number(a)) && Number.isFinite(Number(b)) ? Number(a) - Number(b) : a.localeCompare(b);
  switch (op) {
    case 'eq':
      return text === raw;
    case 'neq':
      return text !== raw;
    case 'lt':
      return compare(text, raw) < 0;
    case 'lte':
      return compare(text, raw) <= 0;
    case 'gt':
      return compare(text, raw) > 0;
    case 'gte':
      return compare(text, raw) >= 0;
    default:
      return raw
        .replace(/^\(|\)$/g, '')
        .split(',')
        .map((s) => s.trim())
        .includes(text);
  }
}

function quoteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}
