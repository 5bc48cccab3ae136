// The dispatcher's environment, parsed once at start. Nothing else in dispatcher/ reads
// process.env. A bad value stops the process with every bad name listed (exit code 3).
import { z } from 'zod';
import { AppError } from '../shared/errors.ts';
import { DEFAULT_RETRY_DELAYS_MS } from './retry.ts';

const flag = z
  .enum(['0', '1', 'true', 'false'])
  .default('0')
  .transform((v) => v === '1' || v === 'true');
const ms = (min: number, fallback: number) => z.coerce.number().int().min(min).default(fallback);
const delays = z
  .string()
  .regex(/^\d+(,\d+)*$/, 'must be comma-separated milliseconds, e.g. 5000,300000')
  .default(DEFAULT_RETRY_DELAYS_MS.join(','))
  .transform((text) => text.split(',').map(Number));

const envSchema = z.object({
  DATABASE_URL: z.string().regex(/^postgres(ql)?:\/\//, 'must be a postgres:// URL'),
  /** Attempts in flight per dispatcher. */
  WEBHOOKS_CONCURRENCY: z.coerce.number().int().min(1).max(200).default(32),
  WEBHOOKS_TIMEOUT_MS: ms(100, 10_000),
  WEBHOOKS_RETRY_DELAYS_MS: delays,
  WEBHOOKS_DISABLE_AFTER_MS: ms(0, 24 * 60 * 60 * 1000),
  WEBHOOKS_ALLOW_HTTP: flag,
  WEBHOOKS_ALLOW_PRIVATE: flag,
  /** A job locked longer than this belongs to a dispatcher that died; it is freed for another. */
  WEBHOOKS_STALE_LOCK_MS: ms(100, 60_000),
  WEBHOOKS_SWEEP_INTERVAL_MS: ms(100, 30_000),
  /** How often to look for retries that came due (new events arrive by LISTEN at once). */
  WEBHOOKS_POLL_INTERVAL_MS: ms(50, 1_000),
  /** The job queue's runner is replaced when it has neither fetched nor run a job this long while the database answers. */
  WEBHOOKS_QUEUE_STALL_MS: ms(1_000, 60_000),
  /** A call analysis still pending this long after the call ended is settled (failed or skipped), so call.ended goes out. */
  WEBHOOKS_ANALYSIS_DEADLINE_MS: ms(1_000, 600_000),
  /** Retention (expired transcripts, old webhook history) runs at start and then this often. */
  RETENTION_INTERVAL_MS: ms(1_000, 3_600_000),
  /** Webhook events and their deliveries are kept this long. */
  WEBHOOKS_HISTORY_KEEP_MS: ms(3_600_000, 30 * 24 * 3_600_000),
  LOG_LEVEL: z.enum(['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent']).default('info'),
});
export type DispatcherEnv = z.infer<typeof envSchema>;

export function loadDispatcherEnv(source: Record<string, string | undefined> = process.env): DispatcherEnv {
  const cleaned = Object.fromEntries(Object.entries(source).filter(([, value]) => value !== undefined && value !== ''));
  const parsed = envSchema.safeParse(cleaned);
  if (parsed.success) return parsed.data;
  const problems = parsed.error.issues.map((issue) => `${issue.path.join('.')} (${issue.message})`);
  throw new AppError('invalid_config', `missing or invalid environment variables: ${problems.join(', ')}`);
}
