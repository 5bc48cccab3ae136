// Speech recognition health. The Deepgram plugin notices neither a stream that opens and never
// answers nor a socket that dies mid-call (providers.md §2.3): the caller would talk into a void.
// So once the caller speaks, a recognition event must follow within sttResponseMs, or the STT has
// failed. "The caller speaks" is the session's VAD detecting the start of speech when the call has
// a VAD (every real call does): loud noise on the line (a car, wind, a TV with no words) is no
// voice, and Deepgram rightly answers it with nothing, which must not end the call. Without a VAD
// the audio's loudness stands in for it. Usage reports do not count as answers: the plugin makes
// them from the audio it sends, not from answers.
import { stt } from '@livekit/agents';
import type { AudioFrame } from '@livekit/rtc-node';
import { type ReadableStream, TransformStream } from 'node:stream/web';
import type { ProviderDeadlines, ProviderStall } from './provider_deadlines.ts';

/** RMS, as a fraction of full scale, above which a frame is taken for a voice (about -34 dBFS). */
const VOICE_RMS = 0.02;

export class SttHealth {
  readonly #responseMs: number;
  readonly #onStall: (stall: ProviderStall) => void;
  #timer: NodeJS.Timeout | undefined;
  #stalled = false;

  constructor(deadlines: Pick<ProviderDeadlines, 'sttResponseMs'>, onStall: (stall: ProviderStall) => void) {
    this.#responseMs = deadlines.sttResponseMs;
    this.#onStall = onStall;
  }

  /** The VAD heard the caller start speaking: starts the clock. */
  speechStarted(): void {
    this.#voiceHeard();
  }

  /** The caller's audio on its way to STT, unchanged; a loud frame starts the clock (calls without a VAD). */
  watchLoudness(audio: ReadableStream<AudioFrame>): ReadableStream<AudioFrame> {
    return audio.pipeThrough(
      new TransformStream<AudioFrame, AudioFrame>({
        transform: (frame, controller) => {
          if (rms(frame) > VOICE_RMS) this.#voiceHeard();
          controller.enqueue(frame);
        },
      }),
    );
  }

  /** STT's events, unchanged; each answer stops the clock. */
  watchEvents<T>(events: ReadableStream<T>): ReadableStream<T> {
    return events.pipeThrough(
      new TransformStream<T, T>({
        transform: (event, controller) => {
          if (isAnswer(event)) this.#answered();
          controller.enqueue(event);
        },
        flush: () => this.stop(),
      }),
    );
  }

  stop(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  #voiceHeard(): void {
    if (this.#timer || this.#stalled) return;
    this.#timer = setTimeout(() => {
      // As in withinMs: a recognition already waiting on the socket of a starved process is read
      // (and stop() called) before the verdict.
      setImmediate(() => {
        if (this.#timer === undefined) return;
        this.#stalled = true;
        this.#onStall({
          type: 'stt_error',
          message: `STT stalled: no recognition within ${this.#responseMs} ms of the caller's voice`,
        });
      });
    }, this.#responseMs);
    this.#timer.unref?.();
  }

  #answered(): void {
    this.stop();
  }
}

function isAnswer(event: unknown): boolean {
  if (typeof event === 'string') return true;
  const type = (event as { type?: unknown } | null)?.type;
  return type !== stt.SpeechEventType.RECOGNITION_USAGE;
}

function rms(frame: AudioFrame): number {
  const samples = frame.data;
  if (samples.length === 0) return 0;
  let sum = 0;
  for (const sample of samples) sum += sample * sample;
  return Math.sqrt(sum / samples.length) / 32768;
}
