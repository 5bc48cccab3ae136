// The worker's settings for writing calls rows, parsed with the rest of its environment by
// agent/env.ts. Each has a default; see the README's "Calls rows" section for what they bound.
import { z } from 'zod';
import { DEFAULT_HEARTBEAT_INTERVAL_MS } from './call/call_heartbeat.ts';
import { DEFAULT_CALL_STORE_TIMEOUT_MS } from './store/call_store.ts';
import { DEFAULT_CALL_SWEEP_OPTIONS } from './store/call_sweep.ts';
import { DEFAULT_DURABLE_WRITES_OPTIONS } from './store/durable_writes.ts';

/** How long a job process whose call has ended keeps trying to write what is still queued. */
export const DEFAULT_CALL_WRITES_FLUSH_MS = 10 * 60_000;

const whole = (min: number, what: string) =>
  z.coerce
    .number({ error: `must be ${what}` })
    .int(`must be ${what}`)
    .min(min, `must be ${what}`);

export const callRecordsEnvSchema = z.object({
  CALL_DB_TIMEOUT_MS: whole(1, 'a positive number of milliseconds').default(DEFAULT_CALL_STORE_TIMEOUT_MS),
  CALL_WRITES_MAX_PENDING: whole(1, 'a positive number of writes').default(DEFAULT_DURABLE_WRITES_OPTIONS.maxPending),
  CALL_WRITES_FLUSH_MS: whole(0, 'a number of milliseconds').default(DEFAULT_CALL_WRITES_FLUSH_MS),
  CALL_HEARTBEAT_INTERVAL_MS: whole(1, 'a positive number of milliseconds').default(DEFAULT_HEARTBEAT_INTERVAL_MS),
  CALL_LOST_AFTER_MS: whole(1, 'a positive number of milliseconds').default(DEFAULT_CALL_SWEEP_OPTIONS.lapseMs),
  CALL_SWEEP_INTERVAL_MS: whole(0, 'a number of milliseconds (0: this worker does not sweep)').default(
    DEFAULT_CALL_SWEEP_OPTIONS.intervalMs,
  ),
});

export interface CallRecordsSettings {
  /** Deadline of each call-store request, in ms. */
  dbTimeoutMs: number;
  /** Most writes a job process holds while the database is away. */
  maxPendingWrites: number;
  /** How long a finished call's process keeps retrying its queued writes, in ms. */
  flushMs: number;
  heartbeatIntervalMs: number;
  /** A row whose heartbeat is older than this is closed by the sweep, in ms. */
  lostAfterMs: number;
  /** How often this worker's main process sweeps, in ms; 0: never. */
  sweepIntervalMs: number;
}

export function callRecordsSettings(data: z.infer<typeof callRecordsEnvSchema>): CallRecordsSettings {
  return {
    dbTimeoutMs: data.CALL_DB_TIMEOUT_MS,
    maxPendingWrites: data.CALL_WRITES_MAX_PENDING,
    flushMs: data.CALL_WRITES_FLUSH_MS,
    heartbeatIntervalMs: data.CALL_HEARTBEAT_INTERVAL_MS,
    lostAfterMs: data.CALL_LOST_AFTER_MS,
    sweepIntervalMs: data.CALL_SWEEP_INTERVAL_MS,
  };
}

/**
 * A lapse shorter than a few heartbeats would close live calls whose beat was merely late (a slow
 * database, a deadline): refused at start-up.
 */
export function callRecordsProblems(settings: CallRecordsSettings): string[] {
  const minimum = 3 * settings.heartbeatIntervalMs;
  return settings.lostAfterMs >= minimum
    ? []
    : [`CALL_LOST_AFTER_MS (must be at least 3 × CALL_HEARTBEAT_INTERVAL_MS, ${minimum})`];
}
