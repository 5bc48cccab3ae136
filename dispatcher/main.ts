// `npm run dispatcher`: delivers webhooks until SIGTERM or SIGINT, then finishes the attempts in
// flight. Run as many as you like against one database. A database that is down at start is
// retried (1 s, doubling to 30 s); a bad environment exits with code 3.
import { AppError } from '../shared/errors.ts';
import { type Dispatcher, startDispatcher } from './dispatcher.ts';
import { loadDispatcherEnv } from './env.ts';
import { createLog, type Log } from './log.ts';

const CONFIG_EXIT_CODE = 3;
const MAX_START_BACKOFF_MS = 30_000;

async function main(): Promise<void> {
  let env;
  try {
    env = loadDispatcherEnv();
  } catch (error) {
    console.error(`dispatcher: ${error instanceof AppError ? error.message : String(error)}`);
    process.exit(CONFIG_EXIT_CODE);
  }
  const log = createLog(env.LOG_LEVEL);
  let stopping = false;
  let dispatcher: Dispatcher | undefined;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, 'stopping: finishing attempts in flight');
    await dispatcher?.stop();
    process.exit(0);
  };
  process.on('SIGTERM', () => void stop('SIGTERM'));
  process.on('SIGINT', () => void stop('SIGINT'));
  dispatcher = await startWithRetry(
    log,
    () =>
      startDispatcher({
        databaseUrl: env.DATABASE_URL,
        concurrency: env.WEBHOOKS_CONCURRENCY,
        timeoutMs: env.WEBHOOKS_TIMEOUT_MS,
        retryDelaysMs: env.WEBHOOKS_RETRY_DELAYS_MS,
        disableAfterMs: env.WEBHOOKS_DISABLE_AFTER_MS,
        allowHttp: env.WEBHOOKS_ALLOW_HTTP,
        allowPrivate: env.WEBHOOKS_ALLOW_PRIVATE,
        staleLockMs: env.WEBHOOKS_STALE_LOCK_MS,
        sweepIntervalMs: env.WEBHOOKS_SWEEP_INTERVAL_MS,
        pollIntervalMs: env.WEBHOOKS_POLL_INTERVAL_MS,
        queueStallMs: env.WEBHOOKS_QUEUE_STALL_MS,
        analysisDeadlineMs: env.WEBHOOKS_ANALYSIS_DEADLINE_MS,
        retentionIntervalMs: env.RETENTION_INTERVAL_MS,
        webhookHistoryKeepMs: env.WEBHOOKS_HISTORY_KEEP_MS,
        log,
      }),
    () => stopping,
  );
  log.info(
    {
      concurrency: env.WEBHOOKS_CONCURRENCY,
      allowHttp: env.WEBHOOKS_ALLOW_HTTP,
      allowPrivate: env.WEBHOOKS_ALLOW_PRIVATE,
    },
    'dispatcher ready',
  );
}

async function startWithRetry(
  log: Log,
  start: () => Promise<Dispatcher>,
  stopping: () => boolean,
): Promise<Dispatcher | undefined> {
  for (let backoffMs = 1_000; !stopping(); backoffMs = Math.min(backoffMs * 2, MAX_START_BACKOFF_MS)) {
    try {
      return await start();
    } catch (error) {
      log.warn(
        { err: error instanceof Error ? error.message : String(error), retryInMs: backoffMs },
        'cannot start: database unreachable?',
      );
      await new Promise((resolve) => setTimeout(resolve, backoffMs));
    }
  }
  return undefined;
}

await main();
