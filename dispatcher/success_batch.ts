// Successful attempts recorded in batches (private.record_webhook_successes): the first success
// on an idle dispatcher is written at once, and those that finish while a write is in flight go
// together in the next one, so under load many deliveries share one transaction and one commit.
// Each caller waits for the write that holds its result, so a job completes only once its
// outcome is stored; a failed write fails every job in it, and the queue retries them.
import type { Queryable } from './queryable.ts';

/** Results per statement at most. */
const MAX_BATCH = 100;

export interface SuccessRecord {
  deliveryId: string;
  statusCode: number | null;
  durationMs: number;
  responseBody: string | null;
}

/** Resolves 'succeeded', or null when the delivery was already settled. */
export type RecordSuccess = (result: SuccessRecord) => Promise<'succeeded' | null>;

interface Waiting extends SuccessRecord {
  resolve(status: 'succeeded' | null): void;
  reject(error: unknown): void;
}

export function createSuccessBatcher(db: Queryable): RecordSuccess {
  const waiting: Waiting[] = [];
  let writing = false;
  const write = async () => {
    writing = true;
    while (waiting.length > 0) {
      const batch = waiting.splice(0, MAX_BATCH);
      try {
        const rows = batch.map((r) => ({
          delivery_id: r.deliveryId,
          status_code: r.statusCode,
          duration_ms: r.durationMs,
          response_body: r.responseBody,
        }));
        const { rows: recorded } = await db.query<{ id: string }>(
          'select id from private.record_webhook_successes($1) as id',
          [JSON.stringify(rows)],
        );
        const ids = new Set(recorded.map((row) => row.id));
        for (const item of batch) item.resolve(ids.has(item.deliveryId) ? 'succeeded' : null);
      } catch (error) {
        for (const item of batch) item.reject(error);
      }
    }
    writing = false;
  };
  return (result) =>
    new Promise((resolve, reject) => {
      waiting.push({ ...result, resolve, reject });
      if (!writing) void write();
    });
}
