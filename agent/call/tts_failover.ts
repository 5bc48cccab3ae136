// One utterance through TTS, never stuck. Each attempt runs on the voice in use; it fails when
// it misses a deadline while it owes audio (ttsFirstAudioMs before its first audio,
// ttsChunkGapMs between chunks, counted only once it has text it could speak), errors, or ends
// before the text was said. A failed attempt is abandoned, the call switches to the fallback voice, and
// the whole utterance is said again in it (spoken_text.ts keeps it). With no voice left, the
// failure is handed on (provider_failures.ts apologizes and hangs up) and the utterance ends, so
// nothing downstream waits on speech that will never come.
import type { AudioFrame } from '@livekit/rtc-node';
import { ReadableStream } from 'node:stream/web';
import { type ProviderDeadlines, withinMs } from './provider_deadlines.ts';
import { SpokenText } from './spoken_text.ts';

/** stalled: a deadline passed; failed: the stream errored or ended without audio. */
export interface TtsFailure {
  cause: 'stalled' | 'failed';
  message: string;
}

export interface TtsFailoverOptions {
  deadlines: Pick<ProviderDeadlines, 'ttsFirstAudioMs' | 'ttsChunkGapMs'>;
  /** One attempt, on the voice in use now. */
  synthesize(text: ReadableStream<string>): Promise<ReadableStream<AudioFrame> | null>;
  /** Switches to the fallback voice (this utterance and the next); false when none is left. */
  failOver(failure: TtsFailure): boolean;
  /** No voice could say it. */
  giveUp(failure: TtsFailure): void;
}

/**
 * Audio this long per character of text means the utterance was all said (speech runs at about
 * 60-80 ms a character); a TTS that then goes quiet only failed to close it, so nothing is repeated.
 */
const FULLY_VOICED_MS_PER_CHAR = 40;

type Step = { kind: 'frame'; frame: AudioFrame } | { kind: 'end' } | { kind: 'failed'; failure: TtsFailure };

export function speakWithFailover(
  input: ReadableStream<string>,
  options: TtsFailoverOptions,
): ReadableStream<AudioFrame> {
  const text = new SpokenText(input);
  let attempt: TtsAttempt | null = null;
  return new ReadableStream<AudioFrame>({
    async pull(controller) {
      for (;;) {
        if (!attempt) {
          const audio = await options.synthesize(text.replay());
          if (!audio) return controller.close();
          attempt = new TtsAttempt(audio, text, options.deadlines);
        }
        const step = await attempt.next();
        if (step.kind === 'frame') return controller.enqueue(step.frame);
        attempt.abandon();
        attempt = null;
        if (step.kind === 'end') return controller.close();
        if (!options.failOver(step.failure)) {
          options.giveUp(step.failure);
          return controller.close();
        }
      }
    },
    cancel: () => attempt?.abandon(),
  });
}

class TtsAttempt {
  readonly #reader: ReadableStreamDefaultReader<AudioFrame>;
  readonly #text: SpokenText;
  readonly #deadlines: TtsFailoverOptions['deadlines'];
  readonly #startedAtMs = performance.now();
  #lastAudioAtMs: number | null = null;
  #heardMs = 0;
  #read: Promise<{ read: ReadableStreamReadResult<AudioFrame> } | { error: unknown }> | null = null;

  constructor(audio: ReadableStream<AudioFrame>, text: SpokenText, deadlines: TtsFailoverOptions['deadlines']) {
    this.#reader = audio.getReader();
    this.#text = text;
    this.#deadlines = deadlines;
  }

  async next(): Promise<Step> {
    for (;;) {
      this.#read ??= this.#reader.read().then(
        (read) => ({ read }),
        (error: unknown) => ({ error }),
      );
      const waitMs = this.#deadlineAtMs() - performance.now();
      const next = await withinMs(Promise.race([this.#read, this.#text.changed().then(() => 'text' as const)]), waitMs);
      if (next === 'text') continue;
      if (next === 'timeout') return this.#stalled();
      this.#read = null;
      if ('error' in next) return this.#failed(`TTS failed: ${String(next.error)}`);
      if (next.read.done) return this.#ended();
      this.#lastAudioAtMs = performance.now();
      this.#heardMs += (next.read.value.samplesPerChannel / next.read.value.sampleRate) * 1000;
      return { kind: 'frame', frame: next.read.value };
    }
  }

  abandon(): void {
    void this.#reader.cancel().catch(() => {});
  }

  /**
   * The clock runs only while TTS owes audio, from the latest of: start, last text, last audio.
   * Text it has all said while more is coming is the LLM's to send, not the TTS's to speak.
   */
  #deadlineAtMs(): number {
    if (!this.#text.speakable || (this.#fullyVoiced() && !this.#text.ended)) return Number.POSITIVE_INFINITY;
    const since = Math.max(this.#startedAtMs, this.#text.lastTextAtMs, this.#lastAudioAtMs ?? 0);
    return since + (this.#lastAudioAtMs === null ? this.#deadlines.ttsFirstAudioMs : this.#deadlines.ttsChunkGapMs);
  }

  #stalled(): Step {
    if (this.#lastAudioAtMs === null) {
      return {
        kind: 'failed',
        failure: { cause: 'stalled', message: `TTS stalled: no audio within ${this.#deadlines.ttsFirstAudioMs} ms` },
      };
    }
    if (this.#fullyVoiced()) return { kind: 'end' };
    return {
      kind: 'failed',
      failure: {
        cause: 'stalled',
        message: `TTS stalled: no audio for ${this.#deadlines.ttsChunkGapMs} ms mid-utterance`,
      },
    };
  }

  /** A stream that ends before it said the text failed (a reset, an error after retries). */
  #ended(): Step {
    if (!this.#text.speakable || this.#fullyVoiced()) return { kind: 'end' };
    return this.#failed(
      this.#lastAudioAtMs === null ? 'TTS ended without audio' : 'TTS ended before the utterance was said',
    );
  }

  #fullyVoiced(): boolean {
    return this.#heardMs >= this.#text.text.trim().length * FULLY_VOICED_MS_PER_CHAR;
  }

  #failed(message: string): Step {
    return { kind: 'failed', failure: { cause: 'failed', message } };
  }
}
