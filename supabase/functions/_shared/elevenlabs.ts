// ElevenLabs over fetch, for the functions and the catalog CLI alike (runtime-neutral: no Deno
// or Node APIs). Every failure becomes a classified AppError (shared/elevenlabs_errors.ts):
// voice_not_found, tts_auth_failed, tts_quota_exceeded, tts_rate_limited, tts_unavailable,
// tts_timeout, tts_unreachable. Keys are sent in `xi-api-key` and never logged.
import { classifyElevenLabsError, elevenLabsAppError } from '../../../shared/elevenlabs_errors.ts';
import { AppError } from '../../../shared/errors.ts';
import { type UpstreamVoice, voicesPageSchema } from '../../../shared/voices_sync.ts';

/** ElevenLabs' API origin. ELEVENLABS_BASE_URL may also carry the plugin's /v1 suffix. */
export const DEFAULT_ELEVENLABS_BASE_URL = 'https://api.elevenlabs.io';
const DEFAULT_TIMEOUT_MS = 10_000;
const MAX_VOICE_PAGES = 100;

export interface ElevenLabsClientOptions {
  apiKey: string;
  /** Origin, with or without a trailing /v1. Default DEFAULT_ELEVENLABS_BASE_URL. */
  baseUrl?: string;
  /** Until response headers arrive. Default 10000 ms. */
  timeoutMs?: number;
}

export interface SpeechRequest {
  voiceId: string;
  text: string;
  modelId: string;
  outputFormat: string;
}

export interface SpeechStream {
  body: ReadableStream<Uint8Array>;
  contentType: string;
  /** The `character-cost` header: credits charged, when ElevenLabs sent it. */
  characterCost: number | null;
}

export interface ElevenLabsClient {
  /** Every voice GET /v2/voices lists, following next_page_token. */
  listAllVoices(): Promise<UpstreamVoice[]>;
  /** POST /v1/text-to-speech/{id}/stream; resolves when the audio starts arriving. */
  streamSpeech(request: SpeechRequest): Promise<SpeechStream>;
}

export function createElevenLabsClient(options: ElevenLabsClientOptions): ElevenLabsClient {
  const origin = (options.baseUrl ?? DEFAULT_ELEVENLABS_BASE_URL).replace(/\/+$/, '').replace(/\/v1$/, '');
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;

  async function call(path: string, init: RequestInit, voiceId?: string): Promise<Response> {
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), timeoutMs);
    let res: Response;
    try {
      res = await fetch(`${origin}${path}`, {
        ...init,
        headers: { 'xi-api-key': options.apiKey, accept: '*/*', ...init.headers },
        signal: controller.signal,
      });
    } catch (error) {
      if (controller.signal.aborted) {
        throw new AppError('tts_timeout', `The voice service did not answer within ${Math.round(timeoutMs / 1000)} s. Try again.`, { cause: error, retryable: true });
      }
      throw new AppError('tts_unreachable', 'Could not reach the voice service. Try again in a moment.', { cause: error, retryable: true });
    } finally {
      clearTimeout(timer);
    }
    if (!res.ok) throw elevenLabsAppError(classifyElevenLabsError(res.status, await res.text().catch(() => '')), voiceId);
    return res;
  }

  return {
    async listAllVoices() {
      const voices: UpstreamVoice[] = [];
      let token: string | null = null;
      for (let page = 0; page < MAX_VOICE_PAGES; page++) {
        const query = new URLSearchParams({ page_size: '100' });
        if (token) query.set('next_page_token', token);
        const res = await call(`/v2/voices?${query}`, { method: 'GET' });
        const parsed = voicesPageSchema.safeParse(await res.json().catch(() => null));
        if (!parsed.success) throw new AppError('tts_unavailable', 'The voice service listed voices in a shape we do not understand.');
        voices.push(...parsed.data.voices);
        token = parsed.data.has_more ? (parsed.data.next_page_token ?? null) : null;
        if (!token) return voices;
      }
      throw new AppError('tts_unavailable', `The voice service listed more than ${MAX_VOICE_PAGES} pages of voices; refusing to continue.`);
    },

    async streamSpeech(request) {
      const query = new URLSearchParams({ output_format: request.outputFormat });
      const res = await call(
        `/v1/text-to-speech/${encodeURIComponent(request.voiceId)}/stream?${query}`,
        { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ text: request.text, model_id: request.modelId }) },
        request.voiceId,
      );
      const contentType = res.headers.get('content-type') ?? '';
      if (!contentType.startsWith('audio/') || !res.body) {
        await res.body?.cancel();
        throw new AppError('tts_unavailable', 'The voice service answered without audio. Try again.', { retryable: true });
      }
      const cost = Number(res.headers.get('character-cost'));
      return { body: res.body, contentType, characterCost: Number.isFinite(cost) && res.headers.has('character-cost') ? cost : null };
    },
  };
}
