// The text of one utterance as it reaches TTS, kept so it can be said again: a TTS attempt that
// fails gets a replay (everything so far, then the rest as it arrives) for the next voice. It
// also tells when TTS owes audio: the text has ended, or it holds a sentence the framework's
// sentence tokenizer has let through (20 characters or more, then 10 more; tokenize/basic).
import { ReadableStream } from 'node:stream/web';

const SPEAKABLE_SENTENCE = /^.{20,}?[.!?]["')\]]?\s.{10,}/s;
const HAS_WORDS = /[\p{L}\p{N}]/u;

export class SpokenText {
  readonly #chunks: string[] = [];
  #ended = false;
  #lastTextAtMs = performance.now();
  #waiters: Array<() => void> = [];

  constructor(input: ReadableStream<string>) {
    void this.#pump(input);
  }

  get text(): string {
    return this.#chunks.join('');
  }

  /** All of the utterance has arrived. */
  get ended(): boolean {
    return this.#ended;
  }

  /** When the last text arrived (or the utterance began), in performance.now() ms. */
  get lastTextAtMs(): number {
    return this.#lastTextAtMs;
  }

  /** TTS has been given something it should be speaking. */
  get speakable(): boolean {
    const text = this.text;
    return HAS_WORDS.test(text) && (this.#ended || SPEAKABLE_SENTENCE.test(text));
  }

  /** Resolves at the next change: more text, or its end. */
  changed(): Promise<void> {
    return new Promise((resolve) => this.#waiters.push(resolve));
  }

  /** The whole utterance from its start: what arrived so far, then the rest. */
  replay(): ReadableStream<string> {
    let index = 0;
    return new ReadableStream<string>({
      pull: async (controller) => {
        while (index >= this.#chunks.length && !this.#ended) await this.changed();
        if (index < this.#chunks.length) controller.enqueue(this.#chunks[index++]!);
        else controller.close();
      },
    });
  }

  async #pump(input: ReadableStream<string>): Promise<void> {
    try {
      for await (const chunk of input) {
        this.#chunks.push(chunk);
        this.#lastTextAtMs = performance.now();
        this.#notify();
      }
    } catch {
      // The reply was interrupted or its source failed: what arrived is all there is.
    } finally {
      this.#ended = true;
      this.#notify();
    }
  }

  #notify(): void {
    for (const wake of this.#waiters.splice(0)) wake();
  }
}
