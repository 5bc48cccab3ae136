// Entry point: env parsed once at boot (a bad variable stops the function with its name).
import { loadEnv } from '../_shared/env.ts';
import { createSipStatus, SIP_STATUS_ENV } from './handler.ts';

const app = createSipStatus(loadEnv(SIP_STATUS_ENV, Deno.env.toObject()));

export default { fetch: app.fetch };
