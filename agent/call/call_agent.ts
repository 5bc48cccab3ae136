// The agent a caller talks to: the owner's instructions and the call's tools (call_tools.ts). Its
// speech nodes bound every provider await (provider_deadlines.ts): the LLM's reply stream
// (llm_deadlines.ts), TTS with a fallback voice (tts_failover.ts) and STT health
// (stt_health.ts, clocked from the VAD's start of speech). It also marks when an utterance's first text reaches TTS, for the bench.
import { type llm, type stt, voice } from '@livekit/agents';
import type { AudioFrame } from '@livekit/rtc-node';
import { ReadableStream, TransformStream } from 'node:stream/web';
import { withLlmDeadlines } from './llm_deadlines.ts';
import type { ProviderDeadlines, ProviderStall } from './provider_deadlines.ts';
import { SttHealth } from './stt_health.ts';
import { speakWithFailover, type TtsFailure } from './tts_failover.ts';

export interface CallAgentOptions {
  instructions: string;
  tools: llm.ToolContextEntry[];
  deadlines: ProviderDeadlines;
  /** Switches TTS to the fallback voice after a failure; false when there is none left. */
  failOverVoice: (failure: TtsFailure) => boolean;
  /** A provider missed its deadline, or TTS failed on every voice. */
  onStall: (stall: ProviderStall) => void;
  /** Called when the first text of an utterance is handed to TTS (timestamp in ms). */
  onTtsText?: ((atMs: number) => void) | undefined;
}

type LlmNodeOutput = Awaited<ReturnType<voice.Agent['llmNode']>>;

export class CallAgent extends voice.Agent {
  readonly #options: CallAgentOptions;

  constructor(options: CallAgentOptions) {
    super({ instructions: options.instructions, tools: options.tools });
    this.#options = options;
  }

  override async llmNode(
    chatCtx: llm.ChatContext,
    toolCtx: llm.ToolContext,
    modelSettings: voice.ModelSettings,
  ): Promise<LlmNodeOutput> {
    const reply = await voice.Agent.default.llmNode(this, chatCtx, toolCtx, modelSettings);
    return reply && withLlmDeadlines(reply, this.#options.deadlines, this.#options.onStall);
  }

  override async ttsNode(
    text: ReadableStream<string> | AsyncIterable<string>,
    modelSettings: voice.ModelSettings,
  ): Promise<ReadableStream<AudioFrame> | null> {
    const { deadlines, failOverVoice, onStall } = this.#options;
    const input = (text instanceof ReadableStream ? text : ReadableStream.from(text)).pipeThrough(
      this.#markFirstText(),
    );
    return speakWithFailover(input, {
      deadlines,
      synthesize: (replay) => voice.Agent.default.ttsNode(this, replay, modelSettings),
      failOver: failOverVoice,
      giveUp: (failure) => onStall({ type: 'tts_error', message: `${failure.message}, on every voice` }),
    });
  }

  override async sttNode(
    audio: ReadableStream<AudioFrame> | AsyncIterable<AudioFrame>,
    modelSettings: voice.ModelSettings,
  ): Promise<ReadableStream<stt.SpeechEvent | string> | null> {
    const health = new SttHealth(this.#options.deadlines, this.#options.onStall);
    const input = audio instanceof ReadableStream ? audio : ReadableStream.from(audio);
    const stopListening = this.#vad() ? this.#onSpeechStart(() => health.speechStarted()) : null;
    const events = await voice.Agent.default.sttNode(
      this,
      stopListening ? input : health.watchLoudness(input),
      modelSettings,
    );
    if (!events) {
      health.stop();
      stopListening?.();
      return null;
    }
    const unsubscribe = () => stopListening?.();
    return health.watchEvents(events).pipeThrough(
      new TransformStream<stt.SpeechEvent | string, stt.SpeechEvent | string>({
        flush: unsubscribe,
        cancel: unsubscribe,
      }),
    );
  }

  /** The agent's VAD, else the session's: what decides that the caller speaks. */
  #vad(): unknown {
    return this.vad ?? this.session.vad;
  }

  /** Calls `onStart` each time the VAD hears the caller start speaking; returns the unsubscribe. */
  #onSpeechStart(onStart: () => void): () => void {
    const session = this.session;
    const listener = (ev: voice.UserStateChangedEvent) => {
      if (ev.newState === 'speaking') onStart();
    };
    session.on(voice.AgentSessionEventTypes.UserStateChanged, listener);
    return () => session.off(voice.AgentSessionEventTypes.UserStateChanged, listener);
  }

  #markFirstText(): TransformStream<string, string> {
    const onTtsText = this.#options.onTtsText;
    let first = true;
    return new TransformStream<string, string>({
      transform(chunk, controller) {
        if (first) onTtsText?.(performance.now());
        first = false;
        controller.enqueue(chunk);
      },
    });
  }
}
