// voice-preview (POST, signed-in users): hear a catalog voice before saving it. Without `text`
// it answers the voice's hosted sample URL (no credits spent), or, for a voice without one, the
// standard sample sentence synthesized once and cached; with `text` it streams synthesized audio
// and caches it. Request, response and error codes: README, "Edge functions and voices".
import { z } from 'zod';
import { AppError } from '../../../shared/errors.ts';
import { voiceIdProblem } from '../../../shared/voice_id.ts';
import { type VoicePreviewRequest, voicePreviewRequestSchema } from '../../../shared/voice_preview.ts';
import { authOptionsFromEnv, createAuthenticator, requireUser } from '../_shared/auth.ts';
import { readJsonObject, validateBody } from '../_shared/body.ts';
import { createDatabase, type Database, databaseOptionsFromEnv } from '../_shared/db.ts';
import {
  createElevenLabsClient,
  DEFAULT_ELEVENLABS_BASE_URL,
  type ElevenLabsClient,
} from '../../../shared/elevenlabs_client.ts';
import { functionEnv } from '../_shared/env.ts';
import { setLogLevel } from '../_shared/log.ts';
import { defineFunction, type FetchHandler } from '../_shared/serve.ts';
import { voiceIdHintFor } from './hint.ts';
import { createPreviewService } from './preview.ts';

const int = (min: number, fallback: number) => z.coerce.number().int().min(min).default(fallback);

export const VOICE_PREVIEW_ENV = functionEnv({
  ELEVEN_API_KEY: z.string().min(1),
  /** https://api.elevenlabs.io, with or without /v1. */
  ELEVENLABS_BASE_URL: z.url().default(DEFAULT_ELEVENLABS_BASE_URL),
  PREVIEW_RATE_WINDOW_MS: int(1_000, 60 * 60 * 1000),
  PREVIEW_RATE_MAX_REQUESTS: int(1, 30),
  PREVIEW_RATE_MAX_CHARACTERS: int(1, 5_000),
  PREVIEW_CACHE_MAX_ENTRIES: int(1, 2_000),
  PREVIEW_CACHE_MAX_BYTES: int(1, 200 * 1024 * 1024),
  PREVIEW_UPSTREAM_TIMEOUT_MS: int(100, 10_000),
});
export type VoicePreviewEnv = z.infer<typeof VOICE_PREVIEW_ENV>;

/** The request body is small; anything bigger is not a preview request. */
const MAX_BODY_BYTES = 8 * 1024;

export interface VoicePreviewApp {
  fetch: FetchHandler;
  close(): Promise<void>;
}

export function createVoicePreview(
  env: VoicePreviewEnv,
  overrides: { db?: Database; elevenlabs?: ElevenLabsClient } = {},
): VoicePreviewApp {
  setLogLevel(env.LOG_LEVEL);
  const auth = createAuthenticator(authOptionsFromEnv(env));
  const db = overrides.db ?? createDatabase(env.SUPABASE_DB_URL, databaseOptionsFromEnv(env));
  const elevenlabs =
    overrides.elevenlabs ??
    createElevenLabsClient({
      apiKey: env.ELEVEN_API_KEY,
      baseUrl: env.ELEVENLABS_BASE_URL,
      timeoutMs: env.PREVIEW_UPSTREAM_TIMEOUT_MS,
    });
  const previews = createPreviewService({
    db,
    elevenlabs,
    settings: {
      rateWindowMs: env.PREVIEW_RATE_WINDOW_MS,
      rateMaxRequests: env.PREVIEW_RATE_MAX_REQUESTS,
      rateMaxCharacters: env.PREVIEW_RATE_MAX_CHARACTERS,
      cacheMaxEntries: env.PREVIEW_CACHE_MAX_ENTRIES,
      cacheMaxBytes: env.PREVIEW_CACHE_MAX_BYTES,
      upstreamTimeoutMs: env.PREVIEW_UPSTREAM_TIMEOUT_MS,
    },
  });
  const fetch = defineFunction({
    name: 'voice-preview',
    methods: ['POST'],
    allowOrigin: env.CORS_ALLOW_ORIGIN,
    async handle(req, { log }) {
      const caller = requireUser(await auth.authenticate(req));
      const raw = await readJsonObject(req, { maxBytes: MAX_BODY_BYTES, timeoutMs: env.REQUEST_BODY_TIMEOUT_MS });
      let body: VoicePreviewRequest;
      try {
        body = validateBody(raw, voicePreviewRequestSchema);
      } catch (error) {
        throw await withVoiceIdHint(error, raw.voice_id, db);
      }
      return previews.render(caller.userId, body, log);
    },
  });
  return { fetch, close: () => db.end() };
}

/**
 * A malformed voice_id that still names a catalog voice (a friendly name, a stray space, a
 * prefix: the runbook's outage) gets the right ID in the message, e.g. "Rachel is the name of a
 * voice; its voice_id is 21m00Tcm4TlvDq8ikWAM." Only when voice_id itself is at fault: a valid ID
 * next to an unknown field gets no advice about voices.
 */
async function withVoiceIdHint(error: unknown, voiceId: unknown, db: Database): Promise<unknown> {
  if (!(error instanceof AppError) || error.code !== 'invalid_request') return error;
  if (typeof voiceId !== 'string' || voiceIdProblem(voiceId) === null) return error;
  const hint = await voiceIdHintFor(db, voiceId);
  return hint ? new AppError('invalid_request', `${error.message} ${hint}`) : error;
}
