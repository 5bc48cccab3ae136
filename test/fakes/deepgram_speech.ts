// The Deepgram fake's 'speech' mode: it listens to the audio's energy as Deepgram's endpointing
// would. While the audio is loud it sends interim Results; once it has been quiet for a short
// hangover it sends the final Results (is_final and speech_final) `finalDelayMs` after the end of
// speech. The end is placed on the audio's own clock (the plugin sends 100 ms chunks in real time),
// so the final lands finalDelayMs after the last loud sample, not after the chunk that showed it.
import type { WebSocket } from 'ws';

export interface SpeechModeOptions {
  /** The final Results this long after the end of speech, in ms (Deepgram: about 150). */
  finalDelayMs: number;
  transcript: string;
  /** Audio bytes per ms (sample_rate × 2 × channels ÷ 1000). */
  bytesPerMs: number;
  /** Called with each Results message sent. */
  onResults?: (message: Record<string, unknown>) => void;
}

/** A 10 ms window louder than this (RMS, fraction of full scale) is speech. */
const LOUD_RMS = 0.02;
/** Quiet this long after speech ends the utterance; shorter gaps are pauses between words. */
const HANGOVER_MS = 50;
/** An interim Results this often while the caller speaks. */
const INTERIM_EVERY_MS = 300;
const WINDOW_MS = 10;

export class SpeechEndpointer {
  readonly #ws: WebSocket;
  readonly #options: SpeechModeOptions;
  #audioMs = 0;
  #speaking = false;
  #lastLoudEndMs = 0;
  #lastInterimMs = 0;
  #sent = 0;
  readonly #timers = new Set<NodeJS.Timeout>();

  constructor(ws: WebSocket, options: SpeechModeOptions) {
    this.#ws = ws;
    this.#options = options;
    ws.on('close', () => {
      for (const timer of this.#timers) clearTimeout(timer);
    });
  }

  /** One binary audio message (PCM16LE), as it arrives. */
  push(chunk: Buffer): void {
    const arrivedAt = Date.now();
    const windowBytes = Math.max(2, Math.round(this.#options.bytesPerMs * WINDOW_MS) & ~1);
    const chunkEndMs = this.#audioMs + chunk.byteLength / this.#options.bytesPerMs;
    for (let at = 0; at + windowBytes <= chunk.byteLength; at += windowBytes) {
      const loud = rms(chunk, at, windowBytes) > LOUD_RMS;
      this.#audioMs += WINDOW_MS;
      if (loud) this.#onLoud();
      else if (this.#speaking && this.#audioMs - this.#lastLoudEndMs >= HANGOVER_MS) this.#onEnd(arrivedAt, chunkEndMs);
    }
  }

  #onLoud(): void {
    if (!this.#speaking) {
      this.#speaking = true;
      this.#lastInterimMs = this.#audioMs;
      this.#send({ type: 'SpeechStarted', channel: [0], timestamp: this.#audioMs / 1000 });
    }
    this.#lastLoudEndMs = this.#audioMs;
    if (this.#audioMs - this.#lastInterimMs >= INTERIM_EVERY_MS) {
      this.#lastInterimMs = this.#audioMs;
      this.#send(this.#results(false));
    }
  }

  /** The chunk arrived as its last sample was spoken: the end of speech was that much audio earlier. */
  #onEnd(arrivedAt: number, chunkEndMs: number): void {
    this.#speaking = false;
    const endedAt = arrivedAt - (chunkEndMs - this.#lastLoudEndMs);
    const waitMs = Math.max(0, endedAt + this.#options.finalDelayMs - Date.now());
    const final = this.#results(true);
    const timer = setTimeout(() => {
      this.#timers.delete(timer);
      this.#send(final);
    }, waitMs);
    this.#timers.add(timer);
  }

  #results(isFinal: boolean): Record<string, unknown> {
    this.#sent += 1;
    return {
      type: 'Results',
      channel_index: [0, 1],
      duration: this.#audioMs / 1000,
      start: 0,
      is_final: isFinal,
      speech_final: isFinal,
      channel: { alternatives: [{ transcript: this.#options.transcript, confidence: 0.98, words: [] }] },
      metadata: {
        request_id: `dg-req-${this.#sent}`,
        model_info: { name: 'general-nova-3', version: '1', arch: 'nova-3' },
        model_uuid: 'uuid-1',
      },
    };
  }

  #send(message: Record<string, unknown>): void {
    if (message.type === 'Results') this.#options.onResults?.(message);
    if (this.#ws.readyState === this.#ws.OPEN) this.#ws.send(JSON.stringify(message));
  }
}

function rms(chunk: Buffer, at: number, bytes: number): number {
  let sum = 0;
  const n = bytes / 2;
  for (let i = 0; i < n; i++) sum += (chunk.readInt16LE(at + i * 2) / 32768) ** 2;
  return Math.sqrt(sum / n);
}
