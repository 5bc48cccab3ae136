// How long a call waits on each provider before it counts as failed. The framework's own
// timeouts are far too patient for a phone line (10 s per LLM attempt and 4 attempts, 10 s of
// idle TTS), so every provider await in a call is bounded here instead, and a provider that
// misses its deadline is handled like one that failed (provider_failures.ts). The defaults keep
// one wedged provider to at most about 5 s of silence the agent did not choose: a stuck TTS is
// caught after 1.2 s on the configured voice, 1.2 s on the fallback voice and 1.2 s on the
// apology (about 0.5 s more for the session to close and the hang-up); a silent LLM after 4 s,
// with the apology's first audio on top.
// Overrides come from the worker's environment (agent/env.ts) or from tests.
import { withTimeout } from '../../shared/deadline.ts';

export interface ProviderDeadlines {
  /** TTS: from text it could speak (a sentence, or the end of the text) to its first audio. Default 1200 ms. */
  ttsFirstAudioMs: number;
  /** TTS: longest pause in its audio while text is still unspoken. Default 2000 ms. */
  ttsChunkGapMs: number;
  /** LLM: from the request (retries included) to the first streamed chunk. Default 4000 ms. */
  llmFirstTokenMs: number;
  /** LLM: longest pause between streamed chunks. Default 2500 ms. */
  llmStreamGapMs: number;
  /** STT: from the caller's voice on the line to the first recognition event. Default 3000 ms. */
  sttResponseMs: number;
  /** Ending a call: how long the session may drain (speech still playing) before it is cut. Default 3000 ms. */
  endDrainMs: number;
}

export const DEFAULT_PROVIDER_DEADLINES: Readonly<ProviderDeadlines> = {
  ttsFirstAudioMs: 1_200,
  ttsChunkGapMs: 2_000,
  llmFirstTokenMs: 4_000,
  llmStreamGapMs: 2_500,
  sttResponseMs: 3_000,
  endDrainMs: 3_000,
};

export function providerDeadlines(overrides: Partial<ProviderDeadlines> = {}): ProviderDeadlines {
  const defined = Object.entries(overrides).filter(([, value]) => value !== undefined);
  return { ...DEFAULT_PROVIDER_DEADLINES, ...Object.fromEntries(defined) };
}

/** A provider that missed its deadline; reported like a provider error of the same type. */
export interface ProviderStall {
  type: 'tts_error' | 'llm_error' | 'stt_error';
  message: string;
}

/**
 * Resolves with 'timeout' after `ms`, unless `promise` settles first. A process starved of CPU
 * runs its expired timers before it reads the sockets that became readable meanwhile, so at the
 * deadline the answer gets one pass of the event loop's I/O before the verdict: a slow host is
 * not taken for a dead provider (and a call is not ended for it).
 */
export async function withinMs<T>(promise: Promise<T>, ms: number): Promise<T | 'timeout'> {
  if (!Number.isFinite(ms)) return promise;
  const timeout = Symbol('timeout');
  try {
    return await withTimeout(promise, { timeoutMs: Math.max(0, ms), error: () => timeout });
  } catch (error) {
    if (error !== timeout) throw error;
    return afterPendingIo(promise);
  }
}

/** `promise`'s outcome if the I/O already waiting settles it, else 'timeout'. */
function afterPendingIo<T>(promise: Promise<T>): Promise<T | 'timeout'> {
  // setImmediate runs after the poll phase, where the event loop reads ready sockets.
  const nextCheck = new Promise<'timeout'>((resolve) => setImmediate(() => resolve('timeout')));
  return Promise.race([promise, nextCheck]);
}
