// Providers for text conversations (tests, `npm run call`): the real OpenAI plugin (pointed at a
// base URL, e.g. the local fake), no STT, and optionally the real ElevenLabs plugin pointed at a
// fake. Speech input is typed, so there is no VAD and turns are manual.
import * as elevenlabs from '@livekit/agents-plugin-elevenlabs';
import * as openai from '@livekit/agents-plugin-openai';
import type { CallProviders } from './providers.ts';
import { TTS_ENCODING, TTS_MODEL } from './providers.ts';

export interface TextProvidersOptions {
  openaiApiKey: string;
  openaiBaseUrl?: string;
  /** When set, utterances go through the real ElevenLabs plugin at this base URL. */
  eleven?: { apiKey: string; baseUrl: string };
  /** Every LLM the call creates (the first, and one per model swap). */
  onLlm?: (model: string) => void;
}

export function textProviders(options: TextProvidersOptions): CallProviders {
  return {
    stt: () => null,
    llm: (model) => {
      options.onLlm?.(model);
      return new openai.LLM({ model, apiKey: options.openaiApiKey, baseURL: options.openaiBaseUrl });
    },
    tts: (voiceId) =>
      options.eleven
        ? new elevenlabs.TTS({
            apiKey: options.eleven.apiKey,
            baseURL: options.eleven.baseUrl,
            voiceId,
            model: TTS_MODEL,
            encoding: TTS_ENCODING,
          })
        : null,
    vad: () => null,
    turnDetection: () => null,
  };
}
