// Turns what each backend receives into one ChangeSignal shape: the NOTIFY payload of
// supabase/migrations/20261125101000_publish_config_changes.sql, or a Realtime postgres_changes
// payload. Both carry only keys the cache matches on; the cache refetches the rest.
import { z } from 'zod';
import { CONFIG_TABLES, type ChangedRow, type ChangeOp, type ChangeSignal, type ConfigTable } from './backend.ts';

/** The channel the migration's triggers notify on. */
export const CONFIG_CHANGED_CHANNEL = 'switchboard_config_changed';

const notifyRowSchema = z.object({
  id: z.string().optional(),
  version: z.number().int().optional(),
  e164: z.string().optional(),
  voice_id: z.string().optional(),
});

const notifySchema = z.union([
  z.object({ table: z.enum(CONFIG_TABLES), op: z.enum(['insert', 'update', 'delete']), all: z.literal(true) }),
  z.object({
    table: z.enum(CONFIG_TABLES),
    op: z.enum(['insert', 'update', 'delete']),
    rows: z.array(notifyRowSchema),
  }),
]);

/** A NOTIFY payload as a signal, or null when it is not one of ours. */
export function signalFromNotify(payload: string): ChangeSignal | null {
  let json: unknown;
  try {
    json = JSON.parse(payload);
  } catch {
    return null;
  }
  const parsed = notifySchema.safeParse(json);
  if (!parsed.success) return null;
  const value = parsed.data;
  if ('all' in value) return { table: value.table, op: value.op, all: true };
  return { table: value.table, op: value.op, rows: value.rows.map(compactRow) };
}

/** The parts of a supabase-js postgres_changes payload we read. */
export interface RealtimeChange {
  table: string;
  eventType: 'INSERT' | 'UPDATE' | 'DELETE';
  new: Record<string, unknown>;
  old: Record<string, unknown>;
  errors: string[] | null;
}

/** What Realtime puts in `errors` when a change is over its record size limit (1 MiB). */
const PAYLOAD_TOO_LARGE = /^Error 413\b/;

/**
 * A Realtime change as a signal. A payload with errors (e.g. a missing grant) carries no usable
 * record, so it invalidates everything cached from that table; except a change over the record
 * size limit (Error 413), which arrives with only its short values: its keys name the rows to
 * refetch (the stripped row itself is never used), unless a key is missing too.
 */
export function signalFromRealtime(change: RealtimeChange): ChangeSignal | null {
  if (!(CONFIG_TABLES as readonly string[]).includes(change.table)) return null;
  const table = change.table as ConfigTable;
  const op = change.eventType.toLowerCase() as ChangeOp;
  const errors = change.errors ?? [];
  if (errors.some((error) => !PAYLOAD_TOO_LARGE.test(error))) return { table, op, all: true };
  const records = [change.new, change.old].filter((record) => record && Object.keys(record).length > 0);
  if (errors.length > 0 && !records.every((record) => hasKey(table, record))) return { table, op, all: true };
  const rows = [change.new, change.old]
    .filter((record) => record && Object.keys(record).length > 0)
    .map((record) =>
      compactRow({
        id: typeof record.id === 'string' ? record.id : undefined,
        version: typeof record.version === 'number' ? record.version : undefined,
        e164: typeof record.e164 === 'string' ? record.e164 : undefined,
        voice_id: typeof record.voice_id === 'string' ? record.voice_id : undefined,
      }),
    );
  if (rows.length === 0) return { table, op, all: true };
  return { table, op, rows: onlyTableKeys(table, rows) };
}

function hasKey(table: ConfigTable, record: Record<string, unknown>): boolean {
  if (table === 'voices') return typeof record.voice_id === 'string';
  if (table === 'phone_numbers') return typeof record.id === 'string' || typeof record.e164 === 'string';
  return typeof record.id === 'string';
}

/**
 * agent_configs rows carry a voice_id column too; it is not the key a voices change matches. An
 * old record reduced to its primary key (RLS tables) adds nothing when the new record has it.
 */
function onlyTableKeys(table: ConfigTable, rows: ChangedRow[]): ChangedRow[] {
  if (table === 'voices') return rows.map(({ voice_id }) => compactRow({ voice_id }));
  const keyed = rows.map(({ voice_id: _ignored, ...rest }) => rest);
  return keyed.filter(
    (row, index) =>
      Object.keys(row).some((k) => k !== 'id') ||
      !keyed.some((other, j) => j !== index && other.id === row.id && Object.keys(other).length > 1),
  );
}

function compactRow(row: ChangedRow): ChangedRow {
  return Object.fromEntries(Object.entries(row).filter(([, v]) => v !== undefined)) as ChangedRow;
}
