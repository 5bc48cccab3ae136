// Rendering a preview: catalog check, cache, quota, single-flight synthesis streamed to the
// client while it is stored. Order matters for cost: nothing reaches ElevenLabs for an unknown
// or disabled voice, a cache hit, or a caller over their quota.
import { AppError } from '../../../shared/errors.ts';
import {
  PREVIEW_FORMATS,
  previewCacheKeySource,
  VOICE_SAMPLE_TEXT,
  type VoicePreviewRequest,
} from '../../../shared/voice_preview.ts';
import type { Database } from '../_shared/db.ts';
import type { ElevenLabsClient } from '../../../shared/elevenlabs_client.ts';
import { jsonResponse, retryAfterError } from '../_shared/http.ts';
import type { Logger } from '../_shared/log.ts';
import { AudioFlight } from './flight.ts';
import { voiceIdHintFor } from './hint.ts';

export interface PreviewSettings {
  /** Fixed window of the per-user quota. */
  rateWindowMs: number;
  /** Synthesized previews per user per window (cache hits are free). */
  rateMaxRequests: number;
  /** Characters synthesized per user per window. */
  rateMaxCharacters: number;
  cacheMaxEntries: number;
  cacheMaxBytes: number;
  /** The whole synthesis, headers to last byte (the client enforces it; the flight double-checks). */
  upstreamTimeoutMs: number;
}

export interface PreviewDeps {
  db: Database;
  elevenlabs: ElevenLabsClient;
  settings: PreviewSettings;
}

interface CatalogLookup {
  voice_id: string;
  name: string;
  enabled: boolean;
  preview_url: string | null;
  content_type: string | null;
  audio: Uint8Array | null;
}

/** Finished flights stay joinable this long, covering requests that missed the cache row by a hair. */
const LINGER_MS = 5_000;
const MAX_LINGERING = 100;
/** The flight's own watchdog fires this long after the client's deadline should have. */
const WATCHDOG_GRACE_MS = 1_000;

export interface PreviewService {
  render(userId: string, request: VoicePreviewRequest, log: Logger): Promise<Response>;
}

export function createPreviewService(deps: PreviewDeps): PreviewService {
  const { db, elevenlabs, settings } = deps;
  const flights = new Map<string, AudioFlight>();

  function purgeSettled(): void {
    const now = performance.now();
    let lingering = 0;
    for (const [key, flight] of [...flights].reverse()) {
      if (flight.settledAt === null) continue;
      if (!flight.succeeded || now - flight.settledAt > LINGER_MS || ++lingering > MAX_LINGERING) flights.delete(key);
    }
  }

  async function lookup(voiceId: string, cacheKey: string | null): Promise<CatalogLookup> {
    // service_role: the cache is private to this function (the voice row itself is public).
    const [row] = await db.asServiceRole(
      (tx) => tx<CatalogLookup[]>`select * from edge.lookup_voice_preview(${voiceId}, ${cacheKey})`,
    );
    if (!row) {
      const hint = await voiceIdHintFor(db, voiceId);
      throw new AppError(
        'voice_not_found',
        `The voice ${voiceId} is not in the catalog. ${hint ?? 'Use a voice_id from the voices table.'}`,
      );
    }
    if (!row.enabled)
      throw new AppError(
        'voice_disabled',
        `The voice ${row.name} (${voiceId}) is disabled. Pick an enabled voice from the voices table.`,
      );
    return row;
  }

  async function takeQuota(userId: string, characters: number): Promise<void> {
    const [row] = await db.asServiceRole(
      (tx) =>
        tx<
          { wait_ms: number }[]
        >`select edge.take_voice_preview_quota(${userId}, ${characters}, ${settings.rateWindowMs}, ${settings.rateMaxRequests}, ${settings.rateMaxCharacters}) as wait_ms`,
    );
    const waitMs = row?.wait_ms ?? 0;
    if (waitMs > 0) {
      const minutes = Math.max(1, Math.ceil(waitMs / 60_000));
      throw retryAfterError(
        'rate_limited',
        `You have used your ${settings.rateMaxRequests} voice previews (or ${settings.rateMaxCharacters} characters) for now. Try again in ${minutes} minute${minutes === 1 ? '' : 's'}; cached previews still play.`,
        waitMs,
      );
    }
  }

  function startFlight(cacheKey: string, request: VoicePreviewRequest & { text: string }, log: Logger): AudioFlight {
    const flight = new AudioFlight();
    flights.set(cacheKey, flight);
    void (async () => {
      const characterCost = await synthesize(flight, request, log);
      if (!flight.succeeded) return;
      try {
        const audio = flight.bytes();
        await db.asServiceRole(
          (
            tx,
          ) => tx`select edge.store_voice_preview(${cacheKey}, ${request.voice_id}, ${request.model}, ${request.format}, ${request.text.length},
          ${PREVIEW_FORMATS[request.format]}, ${audio}, ${characterCost}, ${settings.cacheMaxEntries}, ${settings.cacheMaxBytes})`,
        );
        log.info({ voiceId: request.voice_id, bytes: audio.byteLength, characterCost }, 'preview cached');
      } catch (error) {
        log.warn({ err: error, voiceId: request.voice_id }, 'could not cache a preview');
      }
    })();
    return flight;
  }

  /**
   * Feeds the flight from ElevenLabs until it finishes or fails; returns the character cost. A
   * watchdog fails the flight (and so every waiter) should the upstream outlive its deadline.
   */
  async function synthesize(
    flight: AudioFlight,
    request: VoicePreviewRequest & { text: string },
    log: Logger,
  ): Promise<number | null> {
    let reader: ReadableStreamDefaultReader<Uint8Array> | null = null;
    const watchdog = setTimeout(() => {
      flight.fail(
        new AppError(
          'tts_timeout',
          `The voice service did not finish within ${Math.round(settings.upstreamTimeoutMs / 1000)} s. Try again.`,
          { retryable: true },
        ),
      );
      reader?.cancel().catch(() => {});
    }, settings.upstreamTimeoutMs + WATCHDOG_GRACE_MS);
    try {
      const speech = await elevenlabs.streamSpeech({
        voiceId: request.voice_id,
        text: request.text,
        modelId: request.model,
        outputFormat: request.format,
      });
      flight.start(PREVIEW_FORMATS[request.format]);
      reader = speech.body.getReader();
      for (let chunk = await reader.read(); !chunk.done; chunk = await reader.read()) flight.push(chunk.value);
      flight.finish();
      return speech.characterCost;
    } catch (error) {
      flight.fail(await onUpstreamError(error, request.voice_id, log));
      return null;
    } finally {
      clearTimeout(watchdog);
    }
  }

  /** voice_not_found disables the catalog voice (its configs get flagged by trigger). */
  async function onUpstreamError(error: unknown, voiceId: string, log: Logger): Promise<unknown> {
    if (!(error instanceof AppError) || error.code !== 'voice_not_found') return error;
    try {
      const [row] = await db.asServiceRole(
        (tx) =>
          tx<
            { result: { disabled: boolean; default_moved_to: string | null } }[]
          >`select edge.disable_voice(${voiceId}, 'voice_not_found') as result`,
      );
      log.warn({ voiceId, ...row?.result }, 'ElevenLabs does not know a catalog voice; disabled it');
    } catch (dbError) {
      log.error({ err: dbError, voiceId }, 'could not disable a voice ElevenLabs does not know');
    }
    return new AppError(
      'voice_not_found',
      `ElevenLabs no longer has the voice ${voiceId}. It is now disabled in the catalog and configs using it are flagged; pick another voice.`,
      { cause: error },
    );
  }

  return {
    async render(userId, request, log) {
      if (request.text === undefined) {
        // The hosted sample costs nothing, so it wins; the cache is only consulted without one,
        // which keeps its hit counts honest.
        const voice = await lookup(request.voice_id, null);
        if (voice.preview_url)
          return jsonResponse({ voice_id: voice.voice_id, name: voice.name, preview_url: voice.preview_url });
      }
      // No text and no hosted sample (every seeded voice): the standard sentence, synthesized
      // like any preview, so it reaches ElevenLabs once per voice, model and format.
      const text = request.text ?? VOICE_SAMPLE_TEXT;
      const cacheKey = await sha256Hex(previewCacheKeySource({ ...request, text }));
      const voice = await lookup(request.voice_id, cacheKey);
      if (voice.audio) return audioResponse(voice.audio, voice.content_type ?? PREVIEW_FORMATS[request.format], 'HIT');

      purgeSettled();
      let flight = flights.get(cacheKey);
      if (!flight) {
        await takeQuota(userId, text.length);
        flight = flights.get(cacheKey) ?? startFlight(cacheKey, { ...request, text }, log);
      }
      const { contentType } = await flight.ready;
      return audioResponse(flight.stream(), contentType, 'MISS');
    },
  };
}

function audioResponse(
  body: Uint8Array | ReadableStream<Uint8Array>,
  contentType: string,
  cache: 'HIT' | 'MISS',
): Response {
  const headers: Record<string, string> = {
    'content-type': contentType,
    'x-cache': cache,
    'cache-control': 'private, max-age=86400',
  };
  if (body instanceof Uint8Array) headers['content-length'] = String(body.byteLength);
  return new Response(body as BodyInit, { status: 200, headers });
}

async function sha256Hex(text: string): Promise<string> {
  const digest = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(text));
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, '0')).join('');
}
