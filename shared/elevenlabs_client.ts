// ElevenLabs over fetch, for the functions and the catalog CLI alike (runtime-neutral: no Deno
// or Node APIs). Every failure becomes a classified AppError (shared/elevenlabs_errors.ts):
// voice_not_found, tts_auth_failed, tts_quota_exceeded, tts_rate_limited, tts_unavailable,
// tts_timeout, tts_unreachable. Keys are sent in `xi-api-key` and never logged.
// Each operation has ONE deadline (`timeoutMs`) covering the headers, the body (a whole audio
// stream, every page of the voice list) and any error body, so a stalled or trickling answer
// fails as tts_timeout instead of holding the caller.
import { classifyElevenLabsError, elevenLabsAppError } from './elevenlabs_errors.ts';
import { AppError } from './errors.ts';
import { Deadline } from './deadline.ts';
import { type UpstreamVoice, voicesPageSchema } from './voices_sync.ts';

/** ElevenLabs' API origin. ELEVENLABS_BASE_URL may also carry the plugin's /v1 suffix. */
export const DEFAULT_ELEVENLABS_BASE_URL = 'https://api.elevenlabs.io';
const DEFAULT_TIMEOUT_MS = 10_000;
const MAX_VOICE_PAGES = 100;

export interface ElevenLabsClientOptions {
  apiKey: string;
  /** Origin, with or without a trailing /v1. Default DEFAULT_ELEVENLABS_BASE_URL. */
  baseUrl?: string;
  /** The whole operation: headers and body (all pages, the whole audio). Default 10000 ms. */
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
  /** POST /v1/text-to-speech/{id}/stream; resolves at the headers; the body errors past the deadline. */
  streamSpeech(request: SpeechRequest): Promise<SpeechStream>;
}

export function createElevenLabsClient(options: ElevenLabsClientOptions): ElevenLabsClient {
  const origin = (options.baseUrl ?? DEFAULT_ELEVENLABS_BASE_URL).replace(/\/+$/, '').replace(/\/v1$/, '');
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;

  async function call(path: string, init: RequestInit, deadline: Deadline, voiceId?: string): Promise<Response> {
    let res: Response;
    try {
      const headers = { 'xi-api-key': options.apiKey, accept: '*/*', ...init.headers };
      res = await deadline.race(fetch(`${origin}${path}`, { ...init, headers, signal: deadline.signal }));
    } catch (error) {
      throw transportError(error, deadline);
    }
    if (res.ok) return res;
    // The error body is read under the same deadline; without it the status alone classifies.
    const text = await deadline.race(res.text()).catch(() => '');
    throw elevenLabsAppError(classifyElevenLabsError(res.status, text), voiceId);
  }

  return {
    async listAllVoices() {
      const deadline = new Deadline(timeoutMs);
      try {
        const voices: UpstreamVoice[] = [];
        let token: string | null = null;
        for (let page = 0; page < MAX_VOICE_PAGES; page++) {
          const query = new URLSearchParams({ page_size: '100' });
          if (token) query.set('next_page_token', token);
          const res = await call(`/v2/voices?${query}`, { method: 'GET' }, deadline);
          const parsed = voicesPageSchema.safeParse(parseJson(await readText(res, deadline)));
          if (!parsed.success)
            throw new AppError('tts_unavailable', 'The voice service listed voices in a shape we do not understand.');
          voices.push(...parsed.data.voices);
          token = parsed.data.has_more ? (parsed.data.next_page_token ?? null) : null;
          if (!token) return voices;
        }
        throw new AppError(
          'tts_unavailable',
          `The voice service listed more than ${MAX_VOICE_PAGES} pages of voices; refusing to continue.`,
        );
      } finally {
        deadline.clear();
      }
    },

    async streamSpeech(request) {
      const deadline = new Deadline(timeoutMs);
      const query = new URLSearchParams({ output_format: request.outputFormat });
      let res: Response;
      try {
        res = await call(
          `/v1/text-to-speech/${encodeURIComponent(request.voiceId)}/stream?${query}`,
          {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify({ text: request.text, model_id: request.modelId }),
          },
          deadline,
          request.voiceId,
        );
      } catch (error) {
        deadline.clear();
        throw error;
      }
      const contentType = res.headers.get('content-type') ?? '';
      if (!contentType.startsWith('audio/') || !res.body) {
        deadline.clear();
        await res.body?.cancel().catch(() => {});
        throw new AppError('tts_unavailable', 'The voice service answered without audio. Try again.', {
          retryable: true,
        });
      }
      const cost = Number(res.headers.get('character-cost'));
      return {
        body: bodyWithin(res.body, deadline),
        contentType,
        characterCost: Number.isFinite(cost) && res.headers.has('character-cost') ? cost : null,
      };
    },
  };
}

/** A timeout past the deadline; anything else on the way (refused, reset, DNS) is unreachable. */
function transportError(error: unknown, deadline: Deadline): AppError {
  if (error instanceof AppError) return error;
  if (deadline.expired) {
    return new AppError(
      'tts_timeout',
      `The voice service did not answer within ${Math.round(deadline.timeoutMs / 1000)} s. Try again.`,
      { cause: error, retryable: true },
    );
  }
  return new AppError(
    'tts_unreachable',
    'Could not reach the voice service, or the connection broke. Try again in a moment.',
    { cause: error, retryable: true },
  );
}

async function readText(res: Response, deadline: Deadline): Promise<string> {
  try {
    return await deadline.race(res.text());
  } catch (error) {
    throw transportError(error, deadline);
  }
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
}

/** `body`, erroring with tts_timeout / tts_unreachable when the deadline passes or the connection breaks. */
function bodyWithin(body: ReadableStream<Uint8Array>, deadline: Deadline): ReadableStream<Uint8Array> {
  const reader = body.getReader();
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      try {
        const { done, value } = await deadline.race(reader.read());
        if (!done) return controller.enqueue(value);
        deadline.clear();
        controller.close();
      } catch (error) {
        deadline.clear();
        reader.cancel().catch(() => {});
        controller.error(transportError(error, deadline));
      }
    },
    cancel(reason) {
      deadline.clear();
      return reader.cancel(reason);
    },
  });
}
