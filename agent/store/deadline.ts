// A deadline on one piece of database I/O. A frozen database (no answer, no reset) would leave
// the caller waiting forever: TCP keepalive takes minutes, and a stalled PostgREST request has
// no end of its own. So the caller stops waiting at the deadline, and `onExpired` lets the I/O
// release what it holds (cancel a request, replace a pool whose connection is stuck). Built on
// withTimeout (shared/deadline.ts), with the calls database's own error.
import { withTimeout } from '../../shared/deadline.ts';
import { AppError } from '../../shared/errors.ts';

export interface CallStoreDeadline {
  /** How long the work may take, in ms. */
  timeoutMs: number;
  /** What timed out, for the error message (e.g. `record_call`). */
  what: string;
  /** Called once when the deadline passes before the work settled. */
  onExpired?: () => void;
}

/** `work`'s result, or a retryable AppError('timeout') once `timeoutMs` has passed. */
export function withDeadline<T>(work: (signal: AbortSignal) => Promise<T>, deadline: CallStoreDeadline): Promise<T> {
  return withTimeout(work, {
    timeoutMs: deadline.timeoutMs,
    onExpired: deadline.onExpired,
    error: () =>
      new AppError('timeout', `The calls database did not answer ${deadline.what} within ${deadline.timeoutMs} ms.`, {
        retryable: true,
      }),
  });
}
