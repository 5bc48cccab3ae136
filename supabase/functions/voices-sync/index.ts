// Entry point: env parsed once at boot (a bad variable stops the function with its name).
import { loadEnv } from '../_shared/env.ts';
import { createVoicesSync, VOICES_SYNC_ENV } from './handler.ts';

const app = createVoicesSync(loadEnv(VOICES_SYNC_ENV, Deno.env.toObject()));

export default { fetch: app.fetch };
