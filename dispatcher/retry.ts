// When to try a failed delivery again. The first attempt runs as soon as the event commits; each
// failure waits the next delay of the schedule; after the last one the delivery has failed.

/** 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h: 8 attempts over about 27.6 hours. */
export const DEFAULT_RETRY_DELAYS_MS: readonly number[] = [
  5_000,
  5 * 60_000,
  30 * 60_000,
  2 * 3_600_000,
  5 * 3_600_000,
  10 * 3_600_000,
  10 * 3_600_000,
];

/** `attemptsMade` counts the attempt that just failed. Null when the schedule is spent. */
export function nextAttemptAt(attemptsMade: number, delaysMs: readonly number[], now: Date): Date | null {
  const delay = delaysMs[attemptsMade - 1];
  return delay === undefined ? null : new Date(now.getTime() + delay);
}
