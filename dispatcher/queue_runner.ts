// The graphile-worker runner that runs the delivery jobs, restarted when it stops making progress
// while the database answers. graphile-worker 0.18 caches the promise of its first task-id
// lookup: if the database drops during that lookup, every later fetch rethrows the same error and
// the runner never fetches a job again, though it keeps polling and the database is back. A
// dispatcher must not sit like that until someone restarts it, so a check looks, every quarter of
// `stallMs`, for a fetch, a job start or a job end; when there was none for `stallMs` while the
// database answered `select 1`, the runner is replaced by a new one.
import { EventEmitter } from 'node:events';
import { run, type Runner, type TaskList, type WorkerEvents } from 'graphile-worker';
import type pg from 'pg';
import { withTimeout } from '../shared/deadline.ts';
import { type Log, queueLogger } from './log.ts';

export interface QueueRunnerOptions {
  pool: pg.Pool;
  concurrency: number;
  pollIntervalMs: number;
  taskList: TaskList;
  /** A runner with no fetch and no job for this long, while the database answers, is replaced. */
  stallMs: number;
  log: Log;
}

export interface QueueRunner {
  /** Runners replaced so far because they stalled. */
  readonly restarts: number;
  stop(): Promise<void>;
}

/** Events that show the runner is alive: an idle one fetches every poll interval. */
const PROGRESS_EVENTS = ['localQueue:getJobs:complete', 'job:start', 'job:complete'] as const;
/** A runner that does not stop within this long is left to the garbage collector. */
const STOP_DEADLINE_MS = 15_000;

export async function startQueueRunner(options: QueueRunnerOptions): Promise<QueueRunner> {
  const { log } = options;
  // One emitter for every runner, so the listeners outlive a restart.
  const events: WorkerEvents = new EventEmitter();
  let lastProgressAt = Date.now();
  for (const name of PROGRESS_EVENTS) events.on(name, () => (lastProgressAt = Date.now()));
  let runner = await startRunner(options, events);
  let restarts = 0;
  let checking = false;
  let stopped = false;

  // Since when the database has answered the checks; null while it does not. A runner gets
  // stallMs of an answering database before it counts as stalled, so an outage is not a stall.
  let answeringSince: number | null = Date.now();

  const check = async () => {
    if (checking || stopped || Date.now() - lastProgressAt < options.stallMs) return;
    checking = true;
    try {
      if (!(await databaseAnswers(options.pool, options.stallMs))) {
        answeringSince = null;
        return;
      }
      answeringSince ??= Date.now();
      const stalledMs = Date.now() - Math.max(lastProgressAt, answeringSince);
      if (stalledMs < options.stallMs) return;
      log.warn({ stalledMs }, 'job queue stopped fetching jobs; replacing its runner');
      await stopRunner(runner, log);
      if (stopped) return;
      runner = await startRunner(options, events);
      restarts += 1;
      lastProgressAt = Date.now();
    } catch (error) {
      log.warn({ err: error }, 'job queue runner could not be replaced; the next check retries');
    } finally {
      checking = false;
    }
  };
  const timer = setInterval(() => void check(), Math.max(50, Math.floor(options.stallMs / 4)));

  return {
    get restarts() {
      return restarts;
    },
    async stop() {
      stopped = true;
      clearInterval(timer);
      await stopRunner(runner, log);
    },
  };
}

function startRunner(options: QueueRunnerOptions, events: WorkerEvents): Promise<Runner> {
  // A fresh options object each time: graphile-worker caches what it compiles from one, and the
  // broken task-id lookup lives in that cache.
  return run({
    pgPool: options.pool,
    concurrency: options.concurrency,
    noHandleSignals: true,
    pollInterval: options.pollIntervalMs,
    logger: queueLogger(options.log),
    events,
    parsedCronItems: [],
    // Jobs are fetched and completed in batches: fewer round trips per delivery under load.
    preset: { worker: { localQueue: { size: options.concurrency * 2 }, completeJobBatchDelay: 0 } },
    taskList: options.taskList,
  });
}

async function stopRunner(runner: Runner, log: Log): Promise<void> {
  await withTimeout(runner.stop(), { timeoutMs: STOP_DEADLINE_MS }).catch((error: unknown) =>
    log.warn({ err: error }, 'job queue runner did not stop cleanly'),
  );
}

/** A database that does not answer within `timeoutMs` (a stalled connection) counts as away. */
async function databaseAnswers(pool: pg.Pool, timeoutMs: number): Promise<boolean> {
  return withTimeout(pool.query('select 1'), { timeoutMs }).then(
    () => true,
    () => false,
  );
}
