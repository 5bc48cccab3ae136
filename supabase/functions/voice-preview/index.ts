// Entry point: env parsed once at boot (a bad variable stops the function with its name).
import { loadEnv } from '../_shared/env.ts';
import { createVoicePreview, VOICE_PREVIEW_ENV } from './handler.ts';

const app = createVoicePreview(loadEnv(VOICE_PREVIEW_ENV, Deno.env.toObject()));

export default { fetch: app.fetch };
