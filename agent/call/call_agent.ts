// The agent a caller talks to: the owner's instructions, the end_call tool, and transfer_call
// when the config has a transfer number. It also notes every piece of text handed to TTS, so a
// failed utterance can be said again in the fallback voice (and the bench can time the greeting).
import { llm, voice } from '@livekit/agents';
import type { AudioFrame } from '@livekit/rtc-node';
import { ReadableStream, TransformStream } from 'node:stream/web';
import { z } from 'zod';

export interface CallActions {
  /** The caller is done: hang up once the reply being spoken (the goodbye) has played. */
  endAfterReply(handle: voice.SpeechHandle): void;
  /** Transfer once the reply being spoken ("connecting you now") has played. */
  transferAfterReply(handle: voice.SpeechHandle): void;
  /** The transfer number in effect right now, or null. */
  transferNumber(): string | null;
}

export interface CallAgentOptions {
  instructions: string;
  actions: CallActions;
  /** Called with the whole text of each utterance once it has been handed to TTS. */
  onUtterance?: (text: string) => void;
  /** Called when the first text of an utterance is handed to TTS (timestamp in ms). */
  onTtsText?: (atMs: number) => void;
}

export const END_CALL_TOOL = 'end_call';
export const TRANSFER_TOOL = 'transfer_call';

export function callTools(actions: CallActions, withTransfer: boolean): llm.ToolContextEntry[] {
  const tools: llm.ToolContextEntry[] = [
    llm.tool({
      name: END_CALL_TOOL,
      description:
        'End the phone call. Call it when the caller is clearly done (for example they say goodbye). ' +
        'Do not call it when they ask to hold or to be transferred, or when their intent is unclear.',
      execute: async (_args, { ctx }) => {
        actions.endAfterReply(ctx.speechHandle);
        return 'Say a short, friendly goodbye to the caller now. The call ends after it.';
      },
    }),
  ];
  if (withTransfer) {
    tools.push(llm.tool({
      name: TRANSFER_TOOL,
      description: 'Transfer the caller to a person. Call it when the caller asks for a human, an operator or a specific person.',
      parameters: z.object({ reason: z.string().describe('Why the caller wants a person, in a few words') }),
      execute: async (_args, { ctx }) => {
        if (!actions.transferNumber()) throw new llm.ToolError('Nobody is available to take the call; offer to take a message.');
        actions.transferAfterReply(ctx.speechHandle);
        return 'Tell the caller in one short sentence that you are connecting them to a person now.';
      },
    }));
  }
  return tools;
}

export class CallAgent extends voice.Agent {
  readonly #onUtterance: ((text: string) => void) | undefined;
  readonly #onTtsText: ((atMs: number) => void) | undefined;

  constructor(options: CallAgentOptions & { withTransfer: boolean }) {
    super({ instructions: options.instructions, tools: callTools(options.actions, options.withTransfer) });
    this.#onUtterance = options.onUtterance;
    this.#onTtsText = options.onTtsText;
  }

  override async ttsNode(
    text: ReadableStream<string> | AsyncIterable<string>,
    modelSettings: voice.ModelSettings,
  ): Promise<ReadableStream<AudioFrame> | null> {
    const input = text instanceof ReadableStream ? text : ReadableStream.from(text);
    let utterance = '';
    const onUtterance = this.#onUtterance;
    const onTtsText = this.#onTtsText;
    const noted = input.pipeThrough(
      new TransformStream<string, string>({
        transform(chunk, controller) {
          if (utterance === '') onTtsText?.(performance.now());
          utterance += chunk;
          controller.enqueue(chunk);
        },
        flush() {
          if (utterance) onUtterance?.(utterance);
        },
      }),
    );
    return voice.Agent.default.ttsNode(this, noted, modelSettings);
  }
}
