// One deadline for one operation: a timer that fires once, an AbortSignal for fetch, and race()
// for promises that take no signal (a database transaction). Clear it when the operation ends.
// withTimeout() bounds one piece of work (a promise, or a function given the deadline's signal).

export class DeadlineExceeded extends Error {
  override readonly name = 'DeadlineExceeded';
  readonly timeoutMs: number;
  constructor(timeoutMs: number) {
    super(`deadline of ${timeoutMs} ms exceeded`);
    this.timeoutMs = timeoutMs;
  }
}

export class Deadline {
  readonly timeoutMs: number;
  private readonly controller = new AbortController();
  private readonly timer: ReturnType<typeof setTimeout>;

  constructor(timeoutMs: number) {
    this.timeoutMs = timeoutMs;
    this.timer = setTimeout(() => this.controller.abort(new DeadlineExceeded(timeoutMs)), timeoutMs);
  }

  /** Aborts when the deadline passes (never on clear()). */
  get signal(): AbortSignal {
    return this.controller.signal;
  }

  get expired(): boolean {
    return this.controller.signal.aborted;
  }

  /** `promise`'s outcome, or a DeadlineExceeded rejection once the deadline passes first. */
  race<T>(promise: Promise<T>): Promise<T> {
    const signal = this.controller.signal;
    if (signal.aborted) return Promise.reject(signal.reason);
    return new Promise<T>((resolve, reject) => {
      const onAbort = () => reject(signal.reason);
      signal.addEventListener('abort', onAbort, { once: true });
      promise.then(
        (value) => {
          signal.removeEventListener('abort', onAbort);
          resolve(value);
        },
        (error: unknown) => {
          signal.removeEventListener('abort', onAbort);
          reject(error);
        },
      );
    });
  }

  /** Stops the timer; the operation finished in time. */
  clear(): void {
    clearTimeout(this.timer);
  }
}

export interface TimeoutOptions {
  /** How long the work may take, in ms. */
  timeoutMs: number;
  /** What to reject with once the deadline passes. Default: the DeadlineExceeded. */
  error?: () => unknown;
  /** Called once when the deadline passes first: cancel the work, release what it holds. */
  onExpired?: () => void;
}

/**
 * `work`'s outcome, or a rejection once `timeoutMs` passes first. `work` is a promise, or a
 * function given an AbortSignal that aborts at the deadline (for fetch, or a query to cancel).
 * Whatever the work does after the deadline is ignored.
 */
export async function withTimeout<T>(
  work: Promise<T> | ((signal: AbortSignal) => Promise<T>),
  options: TimeoutOptions,
): Promise<T> {
  const deadline = new Deadline(options.timeoutMs);
  const running = typeof work === 'function' ? work(deadline.signal) : work;
  running.catch(() => {});
  try {
    return await deadline.race(running);
  } catch (error) {
    if (!deadline.expired || error !== deadline.signal.reason) throw error;
    options.onExpired?.();
    throw options.error ? options.error() : error;
  } finally {
    deadline.clear();
  }
}
