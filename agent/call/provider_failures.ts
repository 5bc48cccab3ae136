// What happens when a provider fails for good (after the framework's own retries) or misses its
// deadline (provider_deadlines.ts): the caller never hears silence and never waits on a dead line.
// - TTS: the speech node itself switches to the catalog default voice and says the utterance
//   again (tts_failover.ts); a missing ElevenLabs voice shows up this way. When no voice can
//   speak, it reports a stall here: an apology is still tried, then the call hangs up.
// - LLM or STT: apologize (PROVIDER_APOLOGY), then hang up.
// Every such ending is recorded as end_reason = provider_error with the failure in details.
import { voice } from '@livekit/agents';
import { errorMessage } from '../../shared/errors.ts';
import type { EndableCall } from './call_lifecycle.ts';
import type { CallLogger as Logger } from './call_logger.ts';
import type { CallRecord } from './call_record.ts';
import type { CallVoice } from './call_voice.ts';
import { PROVIDER_APOLOGY } from './fallback.ts';
import type { ProviderStall } from './provider_deadlines.ts';

/** The framework's error event payload (LLMError, STTError, TTSError, …). */
export interface ProviderError {
  type?: string;
  recoverable?: boolean;
  error?: unknown;
}

export interface ProviderFailureOptions {
  call: EndableCall;
  session: voice.AgentSession;
  /** null when the call has no switchable voice (the unknown-number announcement). */
  callVoice: CallVoice | null;
  record: Pick<CallRecord, 'providerFailed'>;
  log: Logger;
}

export function watchProviderFailures(options: ProviderFailureOptions): void {
  options.session.on(voice.AgentSessionEventTypes.Error, (ev) => onProviderError(ev.error, options));
}

export function onProviderError(error: ProviderError, options: ProviderFailureOptions): void {
  const { call, log, record } = options;
  if (error.recoverable || call.ended) return;
  const failure = { type: error.type, message: errorMessage(error.error) };
  log.warn({ type: failure.type, err: failure.message }, 'provider failed after retries');
  if (error.type === 'tts_error') {
    // A conversation's speech node has seen the same failure and fails over itself.
    if (options.callVoice) return;
    // The announcement has no other voice: nothing could say an apology.
    record.providerFailed(failure);
    void call.end('provider_error');
    return;
  }
  if (error.type === 'llm_error' || error.type === 'stt_error') {
    record.providerFailed(failure);
    void call.end('provider_error', PROVIDER_APOLOGY);
  }
}

/** A provider missed its deadline, or TTS failed on every voice: apologize, then hang up. */
export function onProviderStall(
  stall: ProviderStall,
  options: Pick<ProviderFailureOptions, 'call' | 'record' | 'log'>,
): void {
  const { call, log, record } = options;
  if (call.ended) return;
  log.warn({ type: stall.type, err: stall.message }, 'provider stalled');
  record.providerFailed(stall);
  void call.end('provider_error', PROVIDER_APOLOGY);
}
