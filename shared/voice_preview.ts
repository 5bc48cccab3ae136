// The voice-preview request: what a frontend may send, with messages it can show as they are.
import { z } from 'zod';
import { voiceIdSchema } from './voice_id.ts';

/** Longest text a preview may synthesize (characters); an owner's greeting is the main use. */
export const MAX_PREVIEW_TEXT_CHARS = 500;

/** Models a preview may use. The first is the default and the one the phone agent speaks with. */
export const PREVIEW_MODELS = ['eleven_flash_v2_5', 'eleven_turbo_v2_5', 'eleven_multilingual_v2'] as const;
export type PreviewModel = (typeof PREVIEW_MODELS)[number];

/** ElevenLabs output formats a preview may ask for, with the Content-Type we answer with. */
export const PREVIEW_FORMATS = {
  mp3_44100_128: 'audio/mpeg',
  mp3_44100_64: 'audio/mpeg',
  mp3_22050_32: 'audio/mpeg',
  pcm_16000: 'audio/L16; rate=16000; channels=1',
  pcm_22050: 'audio/L16; rate=22050; channels=1',
  pcm_24000: 'audio/L16; rate=24000; channels=1',
  ulaw_8000: 'audio/basic',
} as const;
export type PreviewFormat = keyof typeof PREVIEW_FORMATS;
const FORMAT_NAMES = Object.keys(PREVIEW_FORMATS) as [PreviewFormat, ...PreviewFormat[]];

/**
 * What a voice says when a preview asks for no text and the voice has no hosted sample (every
 * seeded voice): synthesized once per voice, model and format, then served from the cache.
 */
export const VOICE_SAMPLE_TEXT = 'Hello, and thanks for calling. How can I help you today?';

export const DEFAULT_PREVIEW_MODEL: PreviewModel = 'eleven_flash_v2_5';
export const DEFAULT_PREVIEW_FORMAT: PreviewFormat = 'mp3_44100_128';

export const voicePreviewRequestSchema = z.strictObject(
  {
    voice_id: voiceIdSchema,
    text: z
      .string({ error: 'text must be a string' })
      .trim()
      .min(1, "text must not be empty; leave it out to hear the voice's standard sample")
      .max(MAX_PREVIEW_TEXT_CHARS, `text must be at most ${MAX_PREVIEW_TEXT_CHARS} characters`)
      .optional(),
    model: z
      .enum(PREVIEW_MODELS, { error: `model must be one of ${PREVIEW_MODELS.join(', ')}` })
      .default(DEFAULT_PREVIEW_MODEL),
    format: z
      .enum(FORMAT_NAMES, { error: `format must be one of ${FORMAT_NAMES.join(', ')}` })
      .default(DEFAULT_PREVIEW_FORMAT),
  },
  {
    error: (issue) =>
      issue.code === 'unrecognized_keys'
        ? `unknown field(s): ${issue.keys.join(', ')}; allowed: voice_id, text, model, format`
        : undefined,
  },
);
export type VoicePreviewRequest = z.infer<typeof voicePreviewRequestSchema>;

/** The fields that decide the audio bytes: identical keys give identical audio. */
export function previewCacheKeySource(request: VoicePreviewRequest & { text: string }): string {
  return JSON.stringify([request.voice_id, request.model, request.format, request.text]);
}

/** The answer to a request without text for a voice with a hosted sample: where it lives. */
export interface VoiceSampleResponse {
  voice_id: string;
  name: string;
  preview_url: string;
}
