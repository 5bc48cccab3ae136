// Retention, run by the dispatcher on a timer: transcripts past their owner's retention
// (public.purge_expired_transcripts(), which also empties the copies in old call.ended events)
// and webhook events older than the history window, with their deliveries
// (private.purge_webhook_history(), a batch at a time). With several dispatchers, one runs it at a
// time (a session advisory lock); the others skip that round.
import type pg from 'pg';

/** Batch size of one private.purge_webhook_history() call. */
const HISTORY_BATCH = 5_000;
/** Deadline of one purge statement: a first run over a large backlog may take a while. */
const PURGE_STATEMENT_TIMEOUT_MS = 300_000;
/** Any constant; hashtext('switchboard.retention') spelled once. */
const LOCK_KEY = "hashtext('switchboard.retention')";

export interface RetentionOptions {
  /** Webhook events (and deliveries) older than this go, ms. */
  webhookHistoryKeepMs: number;
}

export interface RetentionReport {
  /** False when another dispatcher held the lock, so this one did nothing. */
  ran: boolean;
  transcriptTurns: number;
  webhookEvents: number;
}

export async function runRetention(pool: pg.Pool, options: RetentionOptions): Promise<RetentionReport> {
  const client = await pool.connect();
  let locked = false;
  let failed = false;
  try {
    locked = (await client.query<{ locked: boolean }>(`select pg_try_advisory_lock(${LOCK_KEY}) as locked`)).rows[0]!
      .locked;
    if (!locked) return { ran: false, transcriptTurns: 0, webhookEvents: 0 };
    await client.query(`set statement_timeout = ${PURGE_STATEMENT_TIMEOUT_MS}`);
    const turns = (await client.query<{ n: number }>('select public.purge_expired_transcripts() as n')).rows[0]!.n;
    let events = 0;
    for (;;) {
      const batch = (
        await client.query<{ n: number }>('select private.purge_webhook_history($1, $2) as n', [
          options.webhookHistoryKeepMs,
          HISTORY_BATCH,
        ])
      ).rows[0]!.n;
      events += batch;
      if (batch < HISTORY_BATCH) break;
    }
    return { ran: true, transcriptTurns: turns, webhookEvents: events };
  } catch (error) {
    failed = true;
    throw error;
  } finally {
    // After a failure the connection is closed, which frees the lock with the session.
    if (locked && !failed) await client.query(`reset statement_timeout; select pg_advisory_unlock(${LOCK_KEY})`);
    client.release(failed);
  }
}
