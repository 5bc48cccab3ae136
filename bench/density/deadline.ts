// Every await on I/O in the bench has a deadline: a stuck step fails with what it was waiting for.
import { withTimeout } from '../../shared/deadline.ts';

/** shared/deadline.ts withTimeout, failing with the step's name. */
export function withinMs<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  return withTimeout(promise, { timeoutMs: ms, error: () => new Error(`${what}: no answer within ${ms} ms`) });
}

/** Polls `check` every 250 ms until it is true, or fails after `ms`. */
export async function waitUntil(check: () => boolean | Promise<boolean>, ms: number, what: string): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`${what}: not done within ${ms} ms`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}
