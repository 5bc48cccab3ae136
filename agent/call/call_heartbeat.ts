// While a call is live its worker moves calls.heartbeat_at every interval. A row whose heartbeat
// lapses belongs to a worker that died (killed, out of memory, host lost): the sweep
// (agent/store/call_sweep.ts) closes it as worker_lost. A beat that fails is only logged: the next
// one will do, and the sweep waits for several to be missed.
import { errorMessage } from '../../shared/errors.ts';
import type { CallLogger as Logger } from './call_logger.ts';

/** How often a live call says it is still there, in ms. */
export const DEFAULT_HEARTBEAT_INTERVAL_MS = 15_000;

export class CallHeartbeat {
  readonly #beat: () => Promise<unknown>;
  readonly #log: Logger;
  #timer: NodeJS.Timeout | undefined;
  #beating = false;
  #stopped = false;

  constructor(beat: () => Promise<unknown>, log: Logger) {
    this.#beat = beat;
    this.#log = log;
  }

  /** Beats every `intervalMs` until stop(); does nothing once stopped. */
  start(intervalMs: number): void {
    if (this.#stopped || this.#timer) return;
    this.#timer = setInterval(() => void this.#once(), intervalMs);
    this.#timer.unref();
  }

  stop(): void {
    this.#stopped = true;
    clearInterval(this.#timer);
  }

  async #once(): Promise<void> {
    // A beat still waiting on a slow database: the next one would only queue behind it.
    if (this.#beating) return;
    this.#beating = true;
    try {
      await this.#beat();
    } catch (error) {
      this.#log.warn({ err: errorMessage(error) }, 'call heartbeat failed');
    } finally {
      this.#beating = false;
    }
  }
}
