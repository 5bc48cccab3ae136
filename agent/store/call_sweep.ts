// Closes the calls rows nobody will close: a worker killed mid-call (SIGKILL, out of memory, the
// host gone) leaves its row open, and its heartbeat stops. Every worker's main process runs this
// sweep (agent/main.ts): main lives as long as the worker, unlike the one-shot job processes, and
// any number of sweepers are safe together (sweep_lost_calls skips rows another holds and never
// closes a row twice). pg_cron would do as well where it exists (`select public.sweep_lost_calls(
// 120000)` every minute); the local stack and plain Postgres do not have it.
// After the database was unreachable, live calls have not been able to send heartbeats either:
// the sweep then waits until it has reached the database for a full lapse before it closes
// anything, so live calls have had time to beat again. Only rows still silent then are closed.
import { errorMessage } from '../../shared/errors.ts';
import { type ConfigLogger, defaultConfigLogger } from '../config/config_log.ts';
import type { CallStore } from './call_store.ts';

export interface CallSweepOptions {
  /** How long an open row's heartbeat may lapse before the row is closed, in ms. Default 120 000. */
  lapseMs?: number;
  /** How often to sweep, in ms. Default 60 000. */
  intervalMs?: number;
  logger?: ConfigLogger;
}

export const DEFAULT_CALL_SWEEP_OPTIONS = { lapseMs: 120_000, intervalMs: 60_000 } as const;

export class CallSweep {
  readonly #store: Pick<CallStore, 'sweepLostCalls'>;
  readonly #options: Required<Omit<CallSweepOptions, 'logger'>>;
  readonly #log: ConfigLogger;
  /** When the database last became reachable (performance.now()); null while it is not. */
  #reachableSince: number | null = null;
  #timer: NodeJS.Timeout | undefined;

  constructor(store: Pick<CallStore, 'sweepLostCalls'>, options: CallSweepOptions = {}) {
    const { logger, ...rest } = options;
    this.#store = store;
    this.#options = { ...DEFAULT_CALL_SWEEP_OPTIONS, ...rest };
    this.#log = logger ?? defaultConfigLogger('call_sweep');
  }

  /** Sweeps now, then every intervalMs until stop(). Never keeps the process alive. */
  start(): void {
    void this.sweepOnce();
    this.#timer = setInterval(() => void this.sweepOnce(), this.#options.intervalMs);
    this.#timer.unref();
  }

  stop(): void {
    clearInterval(this.#timer);
  }

  /** Closes lapsed rows; resolves with how many were closed (0 while waiting), null when the database failed. */
  async sweepOnce(): Promise<number | null> {
    const { lapseMs } = this.#options;
    const startedAt = performance.now();
    const waiting = this.#reachableSince === null || startedAt - this.#reachableSince < lapseMs;
    try {
      const count = await this.#store.sweepLostCalls(lapseMs, { dryRun: waiting });
      this.#reachableSince ??= startedAt;
      if (waiting) {
        if (count > 0)
          this.#log.info(
            { count, lapse_ms: lapseMs },
            'calls look lost: closing them once the database has been reachable for a full lapse',
          );
        return 0;
      }
      if (count > 0)
        this.#log.warn({ count, lapse_ms: lapseMs }, 'closed calls whose worker was lost (end_reason worker_lost)');
      return count;
    } catch (error) {
      this.#reachableSince = null;
      this.#log.warn({ err: errorMessage(error) }, 'call sweep failed: trying again next interval');
      return null;
    }
  }
}
