// Entry point: env parsed once at boot (a bad variable stops the function with its name).
import { loadEnv } from '../_shared/env.ts';
import { createWebhooks, WEBHOOKS_ENV } from './handler.ts';

const app = createWebhooks(loadEnv(WEBHOOKS_ENV, Deno.env.toObject()));

export default { fetch: app.fetch };
