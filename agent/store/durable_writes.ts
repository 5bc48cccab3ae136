// Writes that must reach the database at least once, whatever it is doing right now. A write is
// an idempotent function with a key; the queue runs them one at a time, in order, and retries the
// head with backoff for as long as the database is unreachable, too slow or busy (a retryable
// AppError). So a database outage delays writes but loses none, and the queue does not depend on
// how long the outage lasts: it simply keeps the writes until the database answers.
//   - Same key, newer state: a write still waiting is replaced by a newer one with its key (the
//     newer one carries everything the older did, e.g. a call's start and end together), keeping
//     the older one's place in line.
//   - Bounded: at most `maxPending` writes wait. Past that, a new write is refused and logged,
//     and the older ones are kept (a call's start is older than its end, and useless without it).
//   - A write the database refuses (not retryable) is dropped and logged: it would be refused
//     again, and it must not hold up the writes behind it.
// Any record can go through it (calls rows today; transcripts and messages later) by giving
// each write a key that names what it writes, e.g. `call:<id>` or `message:<call id>:<seq>`.
import { setTimeout as sleep } from 'node:timers/promises';
import { withTimeout } from '../../shared/deadline.ts';
import { AppError, errorMessage } from '../../shared/errors.ts';
import { doublingScheduleMs, retryDelayMs } from '../../shared/retry.ts';

export interface DurableWrite {
  /** Idempotency key: what the write writes. A waiting write with the same key is replaced. */
  key: string;
  /** What it is, for logs (no PII): `call start`, `call end`. */
  what: string;
  /** One attempt. Must be idempotent and settle in bounded time (the stores have deadlines). */
  apply(): Promise<void>;
}

export interface DurableWritesLogger {
  warn(fields: Record<string, unknown>, message: string): void;
  error(fields: Record<string, unknown>, message: string): void;
}

export interface DurableWritesOptions {
  /** Most writes waiting at once; past it, new writes are refused. Default 1 000. */
  maxPending?: number;
  /** Wait before the first retry, in ms; it doubles per failed attempt. Default 250. */
  firstRetryDelayMs?: number;
  /** Longest wait between attempts, in ms: how late the queue may notice the database is back. Default 10 000. */
  maxRetryDelayMs?: number;
  /** Gives up on an attempt that has not settled after this long, in ms (a safety net). Default 30 000. */
  attemptTimeoutMs?: number;
  logger?: DurableWritesLogger;
}

export const DEFAULT_DURABLE_WRITES_OPTIONS = {
  maxPending: 1_000,
  firstRetryDelayMs: 250,
  maxRetryDelayMs: 10_000,
  attemptTimeoutMs: 30_000,
} as const;

interface Entry {
  write: DurableWrite;
  settle: Array<{ resolve(): void; reject(error: unknown): void }>;
}

export class DurableWrites {
  readonly #options: Required<Omit<DurableWritesOptions, 'logger'>>;
  readonly #retrySchedule: readonly number[];
  readonly #log: DurableWritesLogger;
  readonly #queue: Entry[] = [];
  #running = false;
  /** The entry whose write is being attempted now: it can no longer be replaced. */
  #inFlight: Entry | undefined;
  #idle: Array<() => void> = [];

  constructor(options: DurableWritesOptions = {}) {
    const { logger, ...rest } = options;
    this.#options = { ...DEFAULT_DURABLE_WRITES_OPTIONS, ...rest };
    this.#retrySchedule = doublingScheduleMs(this.#options.firstRetryDelayMs, this.#options.maxRetryDelayMs);
    this.#log = logger ?? { warn: () => {}, error: () => {} };
  }

  /** Writes waiting or in flight. */
  get pending(): number {
    return this.#queue.length;
  }

  /**
   * Queues `write`. Resolves once it (or a newer write with its key) is in the database; rejects
   * when the queue is full or the database refused it.
   */
  enqueue(write: DurableWrite): Promise<void> {
    return new Promise((resolve, reject) => {
      const entry = this.#queue.find((queued) => queued.write.key === write.key && queued !== this.#inFlight);
      if (entry) {
        entry.write = write;
        entry.settle.push({ resolve, reject });
        return;
      }
      if (this.#queue.length >= this.#options.maxPending) {
        this.#log.error({ what: write.what, pending: this.#queue.length }, 'durable write refused: the queue is full');
        reject(
          new AppError(
            'unavailable',
            `The write queue is full (${this.#options.maxPending} writes waiting for the database).`,
          ),
        );
        return;
      }
      this.#queue.push({ write, settle: [{ resolve, reject }] });
      void this.#run();
    });
  }

  /** Resolves true once nothing is waiting, or false after `timeoutMs` with writes still waiting. */
  async drain(timeoutMs: number): Promise<boolean> {
    if (this.#queue.length === 0) return true;
    const idle = new Promise<true>((resolve) => this.#idle.push(() => resolve(true)));
    const late = sleep(timeoutMs, false as const, { ref: false });
    return Promise.race([idle, late]);
  }

  async #run(): Promise<void> {
    if (this.#running) return;
    this.#running = true;
    let failures = 0;
    while (this.#queue.length > 0) {
      const entry = this.#queue[0]!;
      this.#inFlight = entry;
      const outcome = await this.#attempt(entry.write);
      this.#inFlight = undefined;
      if (outcome === 'retry') {
        failures += 1;
        // Unref'd: the queue's owner decides how long the process waits for it (drain).
        await sleep(this.#retryDelay(failures), undefined, { ref: false });
        continue;
      }
      failures = 0;
      this.#queue.shift();
      for (const { resolve, reject } of entry.settle) outcome === 'done' ? resolve() : reject(outcome.error);
    }
    this.#running = false;
    for (const resolve of this.#idle.splice(0)) resolve();
  }

  async #attempt(write: DurableWrite): Promise<'done' | 'retry' | { error: unknown }> {
    try {
      const timeoutMs = this.#options.attemptTimeoutMs;
      await withTimeout(write.apply(), {
        timeoutMs,
        error: () => new AppError('timeout', `The write did not settle within ${timeoutMs} ms.`, { retryable: true }),
      });
      return 'done';
    } catch (error) {
      if (error instanceof AppError && error.retryable) {
        this.#log.warn(
          { what: write.what, err: errorMessage(error), pending: this.#queue.length },
          'durable write failed: retrying',
        );
        return 'retry';
      }
      this.#log.error({ what: write.what, err: errorMessage(error) }, 'durable write refused: dropped');
      return { error };
    }
  }

  #retryDelay(failures: number): number {
    return retryDelayMs(failures - 1, this.#retrySchedule);
  }
}
