// The project's one retry policy. Whether to retry is decided where an error is classified
// (AppError.retryable: isRetryableStatus for HTTP, classifyPostgresError for Postgres); how long
// to wait before each retry comes from a schedule of delays whose last one repeats, so a retry
// loop never gives up on its own and never waits longer than that last delay.

/** Delay before retry number `attempt` (0 for the first retry): `scheduleMs[attempt]`, the last one repeating. */
export function retryDelayMs(attempt: number, scheduleMs: readonly number[]): number {
  return scheduleMs[Math.min(Math.max(0, attempt), scheduleMs.length - 1)] ?? 0;
}

/** The schedule that starts at `firstMs` and doubles up to `maxMs`, e.g. 250, 500, …, 8000, 10000. */
export function doublingScheduleMs(firstMs: number, maxMs: number): number[] {
  if (!(firstMs > 0) || firstMs >= maxMs) return [Math.max(0, Math.min(firstMs, maxMs))];
  const schedule: number[] = [];
  for (let delay = firstMs; delay < maxMs; delay *= 2) schedule.push(delay);
  schedule.push(maxMs);
  return schedule;
}
