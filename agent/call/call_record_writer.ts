// Writes a call's record through the CallStore: the row at call start (in parallel with the
// greeting, so the caller never waits on the database), completed when the call has ended. A
// failed write is logged and the call goes on: a phone call never fails because of its record.
import { errorMessage } from '../../shared/errors.ts';
import type { CallEndReason, CallStore } from '../config/types.ts';
import type { CallLogger as Logger } from './call_logger.ts';
import type { CallRecord } from './call_record.ts';

export class CallRecordWriter {
  readonly #store: CallStore;
  readonly #record: CallRecord;
  readonly #log: Logger;
  /** The calls row id once the start is written; null when that write failed. */
  readonly rowId: Promise<string | null>;

  /** Starts writing the row at once. */
  constructor(store: CallStore, record: CallRecord, log: Logger) {
    this.#store = store;
    this.#record = record;
    this.#log = log;
    this.rowId = store.startCall(record.start).catch((error: unknown) => {
      log.error({ err: errorMessage(error) }, 'could not record the call start');
      return null;
    });
  }

  /** Completes the row with how the call ended; resolves with its id (null: no row to complete). */
  async complete(reason: CallEndReason): Promise<string | null> {
    const id = await this.rowId;
    if (!id) return null;
    await this.#store
      .completeCall(id, this.#record.completion(reason))
      .catch((error: unknown) => this.#log.error({ err: errorMessage(error) }, 'could not record the call end'));
    return id;
  }
}
