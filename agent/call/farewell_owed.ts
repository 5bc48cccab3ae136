// The farewell a call still owes once its main session has closed (call_lifecycle.ts says it
// with a fresh session).
import type { CallEndReason } from '../config/types.ts';
import { PROVIDER_APOLOGY } from './fallback.ts';

/** How the session closed, as far as a farewell still owed is concerned. */
export interface SessionClose {
  reason: CallEndReason;
  /** The framework's close reason (`error` when a provider failure closed the session). */
  closedBy: string;
  /** A farewell the session could not say before it closed. */
  unsaidFarewell: string | undefined;
}

/**
 * The farewell to say with a fresh session after the main one closed, if any. An STT failure
 * closes the session before the apology can even be queued, so it is said afterwards.
 */
export function farewellOwedAfterClose(close: SessionClose): string | undefined {
  if (close.reason !== 'provider_error') return undefined;
  if (close.unsaidFarewell) return close.unsaidFarewell;
  return close.closedBy === 'error' ? PROVIDER_APOLOGY : undefined;
}
