// The webhook dispatcher: a graphile-worker runner for the 'webhooks.deliver' jobs the database
// schedules (replaced when it stalls, queue_runner.ts), plus a periodic sweep (jobs of dispatchers
// that died mid-delivery, deliveries without a job, call analyses that never arrived, so call.ended
// goes out) and retention on a longer timer (expired transcripts, old webhook history). Any number of dispatchers can run against one
// database: each job is locked by one, and one at a time runs retention.
import pg from 'pg';
import type { Task } from 'graphile-worker';
import type { AttemptSettings } from './attempt.ts';
import { attemptDelivery } from './attempt.ts';
import type { Resolver } from './destination.ts';
import { createLog, type Log } from './log.ts';
import { type QueueRunner, startQueueRunner } from './queue_runner.ts';
import { type RetentionReport, runRetention } from './retention.ts';
import { DEFAULT_RETRY_DELAYS_MS } from './retry.ts';
import { createAgents } from './send.ts';
import { createSuccessBatcher } from './success_batch.ts';

export const DELIVER_TASK = 'webhooks.deliver';

export interface DispatcherOptions {
  databaseUrl: string;
  /** Attempts in flight. Default 32. */
  concurrency?: number;
  /** Deadline of one HTTP attempt, ms. Default 10 000. */
  timeoutMs?: number;
  /** Waits between attempts, ms. Default DEFAULT_RETRY_DELAYS_MS. */
  retryDelaysMs?: readonly number[];
  /** Disable an endpoint failing this long, ms. Default 24 h. */
  disableAfterMs?: number;
  /** Accept http:// URLs. Default false. */
  allowHttp?: boolean;
  /** Deliver to loopback, private and link-local addresses. Default false. */
  allowPrivate?: boolean;
  /** Free jobs locked longer than this, ms. Default 60 000. */
  staleLockMs?: number;
  /** Sweep period, ms. Default 30 000. */
  sweepIntervalMs?: number;
  /** Poll period for retries that came due, ms. Default 1 000. */
  pollIntervalMs?: number;
  /** Replace the queue's runner when it has neither fetched nor run a job this long while the database answers, ms. Default 60 000. */
  queueStallMs?: number;
  /** Settle a call analysis still pending this long after the end of the call, ms. Default 600 000. */
  analysisDeadlineMs?: number;
  /** Retention period: at start, then every this long, ms. Default 3 600 000 (hourly). */
  retentionIntervalMs?: number;
  /** Keep webhook events and deliveries this long, ms. Default 30 days. */
  webhookHistoryKeepMs?: number;
  /** DNS resolver. Default the system's. */
  resolver?: Resolver;
  log?: Log;
}

export interface Dispatcher {
  /** Finishes attempts in flight, then closes every connection. */
  stop(): Promise<void>;
  /** Runs the sweep now (the periodic one runs by itself). */
  sweep(): Promise<SweepReport>;
  /** Runs retention now (the periodic one runs by itself). */
  retention(): Promise<RetentionReport>;
}

export interface SweepReport {
  unlocked_workers: number;
  scheduled: number;
  /** Calls whose pending analysis was settled as failed or skipped after the deadline. */
  analyses_settled: number;
}

export const DEFAULT_ANALYSIS_DEADLINE_MS = 10 * 60_000;
export const DEFAULT_QUEUE_STALL_MS = 60_000;
export const DEFAULT_RETENTION_INTERVAL_MS = 60 * 60_000;
export const DEFAULT_WEBHOOK_HISTORY_KEEP_MS = 30 * 24 * 60 * 60_000;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export async function startDispatcher(options: DispatcherOptions): Promise<Dispatcher> {
  const log = options.log ?? createLog('info');
  const concurrency = options.concurrency ?? 32;
  const pool = createPool(options.databaseUrl, concurrency, log);
  const settings = { ...attemptSettings(options, concurrency), recordSuccess: createSuccessBatcher(pool) };
  const task: Task = async (payload) => {
    const deliveryId = (payload as { delivery_id?: unknown } | null)?.delivery_id;
    if (typeof deliveryId !== 'string' || !UUID.test(deliveryId)) {
      log.error({ payload }, 'webhooks.deliver job without a delivery id; dropped');
      return;
    }
    const report = await attemptDelivery(pool, deliveryId, settings);
    log.info(
      {
        deliveryId,
        status: report.status,
        statusCode: report.result?.statusCode,
        ms: report.result?.durationMs,
        error: report.result?.error,
      },
      'webhook attempt',
    );
  };
  let runner: QueueRunner;
  try {
    runner = await startQueueRunner({
      pool,
      concurrency,
      pollIntervalMs: options.pollIntervalMs ?? 1_000,
      taskList: { [DELIVER_TASK]: task },
      stallMs: options.queueStallMs ?? DEFAULT_QUEUE_STALL_MS,
      log,
    });
  } catch (error) {
    await pool.end().catch(() => {});
    throw error;
  }
  const sweep = async (): Promise<SweepReport> => {
    const jobs = (await pool.query('select private.sweep_webhook_jobs($1) as result', [options.staleLockMs ?? 60_000]))
      .rows[0].result;
    const settled = await pool.query('select private.expire_pending_analyses($1) as n', [
      options.analysisDeadlineMs ?? DEFAULT_ANALYSIS_DEADLINE_MS,
    ]);
    return { ...jobs, analyses_settled: settled.rows[0].n };
  };
  const sweepQuietly = () =>
    sweep().then(
      (result) =>
        (result.unlocked_workers || result.scheduled || result.analyses_settled) && log.info(result, 'webhook sweep'),
      (error: unknown) => log.warn({ err: error }, 'webhook sweep failed; next one retries'),
    );
  const retention = () =>
    runRetention(pool, { webhookHistoryKeepMs: options.webhookHistoryKeepMs ?? DEFAULT_WEBHOOK_HISTORY_KEEP_MS });
  let retentionRunning: Promise<unknown> = Promise.resolve();
  const retentionQuietly = () => {
    retentionRunning = retention().then(
      (report) => (report.transcriptTurns || report.webhookEvents) && log.info(report, 'retention'),
      (error: unknown) => log.warn({ err: error }, 'retention failed; next period retries'),
    );
  };
  await sweepQuietly();
  // At start too: a dispatcher restarted more often than the period still runs it.
  retentionQuietly();
  const timer = setInterval(sweepQuietly, options.sweepIntervalMs ?? 30_000);
  const retentionTimer = setInterval(retentionQuietly, options.retentionIntervalMs ?? DEFAULT_RETENTION_INTERVAL_MS);
  return {
    sweep,
    retention,
    async stop() {
      clearInterval(timer);
      clearInterval(retentionTimer);
      await retentionRunning;
      await runner.stop();
      settings.agents?.http.destroy();
      settings.agents?.https.destroy();
      await pool.end();
    },
  };
}

function attemptSettings(options: DispatcherOptions, concurrency: number): AttemptSettings {
  const timeoutMs = options.timeoutMs ?? 10_000;
  return {
    destination: {
      policy: { allowHttp: options.allowHttp ?? false, allowPrivate: options.allowPrivate ?? false },
      timeoutMs,
      ...(options.resolver ? { resolver: options.resolver } : {}),
    },
    timeoutMs,
    retryDelaysMs: options.retryDelaysMs ?? DEFAULT_RETRY_DELAYS_MS,
    disableAfterMs: options.disableAfterMs ?? 24 * 60 * 60 * 1000,
    agents: createAgents(concurrency),
  };
}

/** Every query has a deadline, so an unreachable database fails the job instead of hanging it. */
function createPool(connectionString: string, concurrency: number, log: Log): pg.Pool {
  const pool = new pg.Pool({
    connectionString,
    max: concurrency + 4,
    connectionTimeoutMillis: 5_000,
    query_timeout: 15_000,
    statement_timeout: 10_000,
    application_name: 'switchboard-dispatcher',
  });
  // An idle connection dropped by the server (restart, network) must not end the process.
  pool.on('error', (error) => log.warn({ err: error.message }, 'database connection lost; reconnecting on next use'));
  pool.on('connect', (client) =>
    client.on('error', (error) => log.warn({ err: error.message }, 'database connection lost')),
  );
  return pool;
}
