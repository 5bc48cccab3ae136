// Writes a call's record: the row at call start (in parallel with the greeting, so the caller
// never waits on the database), heartbeats while the call is live, and the completed row when
// it has ended. Every write goes through the durable queue under one key per call, so a start
// the database could not take is written later, together with the end if the call is over by
// then. The row's id is picked here, before any write: it is what makes the writes idempotent.
// A phone call never waits for, or fails because of, its record.
import type { CallEndReason, CallCompletion } from '../config/types.ts';
import type { CallStore } from '../store/call_store.ts';
import type { DurableWrite, DurableWrites } from '../store/durable_writes.ts';
import { errorMessage } from '../../shared/errors.ts';
import { CallHeartbeat, DEFAULT_HEARTBEAT_INTERVAL_MS } from './call_heartbeat.ts';
import type { CallLogger as Logger } from './call_logger.ts';
import type { CallRecord } from './call_record.ts';

export interface CallRecordOptions {
  /** How often the live call moves calls.heartbeat_at, in ms. Default DEFAULT_HEARTBEAT_INTERVAL_MS. */
  heartbeatIntervalMs?: number;
  /** How long complete() waits for the end to be written before returning (it stays queued), in ms. Default 3 000. */
  endWaitMs?: number;
}

export const DEFAULT_END_WAIT_MS = 3_000;

export class CallRecordWriter {
  /** The calls row id, picked before any write. */
  readonly callId: string = crypto.randomUUID();
  /** Resolves with the row id once the start is written; null when the database refused it. */
  readonly rowId: Promise<string | null>;
  readonly #store: CallStore;
  readonly #writes: DurableWrites;
  readonly #record: CallRecord;
  readonly #log: Logger;
  readonly #heartbeat: CallHeartbeat;
  readonly #endWaitMs: number;
  /** The row's id as the database answered (another job's row for the same SIP call). */
  #writtenId: string | null = null;

  /** Queues the start at once. */
  constructor(
    store: CallStore,
    writes: DurableWrites,
    record: CallRecord,
    log: Logger,
    options: CallRecordOptions = {},
  ) {
    this.#store = store;
    this.#writes = writes;
    this.#record = record;
    this.#log = log;
    this.#endWaitMs = options.endWaitMs ?? DEFAULT_END_WAIT_MS;
    this.#heartbeat = new CallHeartbeat(() => store.heartbeat(this.#writtenId ?? this.callId), log);
    this.rowId = writes.enqueue(this.#write('call start')).then(
      () => {
        this.#heartbeat.start(options.heartbeatIntervalMs ?? DEFAULT_HEARTBEAT_INTERVAL_MS);
        return this.#writtenId;
      },
      (error: unknown) => {
        log.error({ err: errorMessage(error) }, 'could not record the call start');
        return null;
      },
    );
  }

  /**
   * Queues the end (with the start, if that is still waiting) and waits at most endWaitMs for it.
   * Resolves with the row's id, written or still queued; null when the database refused it.
   */
  /** The row's id as of now: the id the database answered with once written, else the one picked. */
  get currentRowId(): string {
    return this.#writtenId ?? this.callId;
  }

  async complete(reason: CallEndReason): Promise<string | null> {
    this.#heartbeat.stop();
    const written = this.#writes.enqueue(this.#write('call end', this.#record.completion(reason)));
    const outcome = await settledWithin(written, this.#endWaitMs);
    if (outcome.kind === 'refused') {
      this.#log.error({ err: errorMessage(outcome.error) }, 'could not record the call end');
      return null;
    }
    if (outcome.kind === 'late')
      this.#log.warn(
        { wait_ms: this.#endWaitMs },
        'call end not written yet: it stays queued until the database answers',
      );
    return this.#writtenId ?? this.callId;
  }

  #write(what: string, end?: CallCompletion): DurableWrite {
    return {
      key: `call:${this.callId}`,
      what,
      apply: async () => {
        this.#writtenId = await this.#store.recordCall(this.callId, this.#record.start, end);
      },
    };
  }
}

export type Settled = { kind: 'done' } | { kind: 'late' } | { kind: 'refused'; error: unknown };

/** How `work` settled within `timeoutMs`: done, refused, or still going (late). */
export async function settledWithin(work: Promise<void>, timeoutMs: number): Promise<Settled> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<Settled>((resolve) => (timer = setTimeout(() => resolve({ kind: 'late' }), timeoutMs)));
  const settled = work.then(
    (): Settled => ({ kind: 'done' }),
    (error: unknown): Settled => ({ kind: 'refused', error }),
  );
  try {
    return await Promise.race([settled, late]);
  } finally {
    clearTimeout(timer);
  }
}
