// The agent a caller talks to: the owner's instructions and the call's tools (call_tools.ts). It
// also notes every piece of text handed to TTS, so a failed utterance can be said again in the
// fallback voice (provider_failures.ts), and the bench can time the greeting.
import { type llm, voice } from '@livekit/agents';
import type { AudioFrame } from '@livekit/rtc-node';
import { ReadableStream, TransformStream } from 'node:stream/web';

export interface CallAgentOptions {
  instructions: string;
  tools: llm.ToolContextEntry[];
  /** Called when the first text of an utterance is handed to TTS (timestamp in ms). */
  onTtsText?: ((atMs: number) => void) | undefined;
}

export class CallAgent extends voice.Agent {
  readonly #onTtsText: ((atMs: number) => void) | undefined;
  #lastUtterance = '';

  constructor(options: CallAgentOptions) {
    super({ instructions: options.instructions, tools: options.tools });
    this.#onTtsText = options.onTtsText;
  }

  /** The whole text of the last utterance handed to TTS ('' before the first). */
  get lastUtterance(): string {
    return this.#lastUtterance;
  }

  override async ttsNode(
    text: ReadableStream<string> | AsyncIterable<string>,
    modelSettings: voice.ModelSettings,
  ): Promise<ReadableStream<AudioFrame> | null> {
    const input = text instanceof ReadableStream ? text : ReadableStream.from(text);
    let utterance = '';
    const onTtsText = this.#onTtsText;
    const noted = input.pipeThrough(
      new TransformStream<string, string>({
        transform(chunk, controller) {
          if (utterance === '') onTtsText?.(performance.now());
          utterance += chunk;
          controller.enqueue(chunk);
        },
        flush: () => {
          if (utterance) this.#lastUtterance = utterance;
        },
      }),
    );
    return voice.Agent.default.ttsNode(this, noted, modelSettings);
  }
}
