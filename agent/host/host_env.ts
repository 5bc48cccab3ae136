// The worker's per-host settings, parsed with the rest of its environment by agent/env.ts: the
// hub in the main process that owns database access for the host, how many idle job processes
// the framework keeps warm, the host's call cap, and how often its config cache is reconciled.
import { z } from 'zod';

const whole = (min: number, what: string) =>
  z.coerce
    .number({ error: `must be ${what}` })
    .int(`must be ${what}`)
    .min(min, `must be ${what}`);

export const hostEnvSchema = z.object({
  /** `on` (default): job processes reach the database through the main process's hub. `off`: each job process connects itself. */
  WORKER_HUB: z.enum(['on', 'off'], { error: 'must be on or off' }).default('on'),
  /**
   * The hub's Unix socket. Main picks one per worker when unset and passes it to its job
   * processes in this variable; a job process uses the hub only when it is set.
   */
  WORKER_HUB_SOCKET: z
    .string()
    .trim()
    .min(1)
    .max(100, 'must be a path of at most 100 characters (a Unix socket path)')
    .optional(),
  /** Idle job processes kept warm (the framework's numIdleProcesses); unset: min(CPUs, 4). */
  WORKER_IDLE_PROCESSES: whole(1, 'a positive number of processes').optional(),
  /** Most concurrent calls on this host (0: no cap, only the CPU threshold). */
  WORKER_MAX_CALLS: whole(0, 'a number of calls (0: no cap)').default(0),
  /**
   * How often the host refetches every cached config, in seconds: the safety net for a change
   * signal that never arrived (Realtime drops messages over its rate limit). Each pass costs one
   * query per 100 cached numbers, so a large fleet may trade freshness for database load.
   */
  WORKER_RECONCILE_SECONDS: whole(10, 'a number of seconds from 10 to 3600')
    .max(3600, 'must be a number of seconds from 10 to 3600')
    .default(60),
});

export interface HostSettings {
  /** The main process runs the hub. */
  hub: boolean;
  /** The hub's socket: main listens there, job processes connect there; null in a job without a hub. */
  hubSocket: string | null;
  /** numIdleProcesses; null: the framework's default, min(CPUs, 4) under `start`. */
  idleProcesses: number | null;
  /** Call cap reported through the framework's load function; 0: none. */
  maxCalls: number;
  /** The config source's full refetch period, in ms. */
  reconcileIntervalMs: number;
}

export function hostSettings(data: z.infer<typeof hostEnvSchema>): HostSettings {
  const hub = data.WORKER_HUB === 'on';
  return {
    hub,
    hubSocket: hub ? (data.WORKER_HUB_SOCKET ?? null) : null,
    idleProcesses: data.WORKER_IDLE_PROCESSES ?? null,
    maxCalls: data.WORKER_MAX_CALLS,
    reconcileIntervalMs: data.WORKER_RECONCILE_SECONDS * 1_000,
  };
}
