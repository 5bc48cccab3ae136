// Builds the call's speech pipeline from its config: Deepgram STT tuned for phone audio, the
// OpenAI LLM, ElevenLabs TTS in the catalog voice, Silero VAD and the framework's local
// end-of-turn model. Every base URL is an option so tests point the real plugins at fakes.
import { inference, type llm, type stt, type tts, type VAD, type voice } from '@livekit/agents';
import * as deepgram from '@livekit/agents-plugin-deepgram';
import * as elevenlabs from '@livekit/agents-plugin-elevenlabs';
import * as openai from '@livekit/agents-plugin-openai';
import type { AgentConfig } from '../../shared/agent_config.ts';

export type TurnDetection = NonNullable<voice.AgentSessionOptions['turnDetection']>;

export interface ProviderSettings {
  openaiApiKey: string;
  deepgramApiKey: string;
  elevenApiKey: string;
  openaiBaseUrl?: string | undefined;
  deepgramBaseUrl?: string | undefined;
  elevenBaseUrl?: string | undefined;
}

/** Everything a call needs from the providers; tests swap in fakes behind the same shape. */
export interface CallProviders {
  /** null: no audio input (text conversations). */
  stt(config: AgentConfig): stt.STT | null;
  llm(model: string): llm.LLM;
  /** null: no audio output (text conversations). */
  tts(voiceId: string): tts.TTS | null;
  vad(): VAD | null;
  turnDetection(): TurnDetection | null;
}

/** ElevenLabs model for live calls: about 75 ms to first byte, 32 languages. */
export const TTS_MODEL = 'eleven_flash_v2_5';
/** Raw PCM the plugin can play (it has no MP3 decoder); 16 kHz is plenty for an 8 kHz phone line. */
export const TTS_ENCODING = 'pcm_16000';

export function deepgramPhoneOptions(config: Pick<AgentConfig, 'stt_language'>): Partial<deepgram.STTOptions> {
  return {
    model: 'nova-3',
    language: config.stt_language,
    // PSTN audio is 8 kHz narrowband; sending more samples adds bytes, not information.
    sampleRate: 8000,
    interimResults: true,
    smartFormat: true,
    punctuate: true,
    // Callers read out phone and order numbers: keep them as digits.
    numerals: true,
    // The end-of-turn model decides when the caller is done; Deepgram only needs short endpointing.
    endpointing: 25,
    fillerWords: false,
  };
}

export function createProviders(settings: ProviderSettings, options: { vad?: VAD } = {}): CallProviders {
  return {
    stt: (config) =>
      new deepgram.STT({
        ...deepgramPhoneOptions(config),
        apiKey: settings.deepgramApiKey,
        // Never pass baseUrl: undefined: Deepgram spreads its options, so it would erase the default.
        ...(settings.deepgramBaseUrl ? { baseUrl: settings.deepgramBaseUrl } : {}),
      }),
    llm: (model) => new openai.LLM({ model, apiKey: settings.openaiApiKey, baseURL: settings.openaiBaseUrl }),
    tts: (voiceId) =>
      new elevenlabs.TTS({
        apiKey: settings.elevenApiKey,
        baseURL: settings.elevenBaseUrl,
        voiceId,
        model: TTS_MODEL,
        encoding: TTS_ENCODING,
      }),
    vad: () => options.vad ?? new inference.VAD({ model: 'silero' }),
    // v1-mini is the local model from @livekit/agents; pinning the version keeps it offline.
    turnDetection: () => new inference.TurnDetector({ version: 'v1-mini' }),
  };
}
