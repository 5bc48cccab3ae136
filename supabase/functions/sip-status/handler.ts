// sip-status (GET, admins): the SIP doctor's report as JSON for the frontend. LiveKit, the worker
// and the database are read in parallel, each with SIP_STATUS_TIMEOUT_MS; a part that cannot be
// read shows up as findings with status "unknown" and the reason, never as a 500.
// Admins: app_metadata.role === 'admin' in the JWT (or a service-role key). README, "Telephony".
import { z } from 'zod';
import { resolveAgentName } from '../../../shared/agent_name.ts';
import { diagnose } from '../../../shared/sip/diagnose/index.ts';
import { buildReport } from '../../../shared/sip/report.ts';
import { OPEN_CONFIG_ISSUES_SQL, PHONE_NUMBERS_SQL } from '../../../shared/sip/snapshot.ts';
import type { ConfigIssueRow, PhoneNumberRow, SipSnapshot } from '../../../shared/sip/types.ts';
import { collectSnapshot, DEFAULT_WORKER_HEALTH_URL } from '../../../shared/sip/collect.ts';
import { COMMITTED_DESIRED } from '../../../shared/sip/telephony_file.ts';
import { authOptionsFromEnv, createAuthenticator, requireAdmin } from '../_shared/auth.ts';
import { createDatabase, type Database, databaseOptionsFromEnv } from '../_shared/db.ts';
import { functionEnv } from '../_shared/env.ts';
import { jsonResponse } from '../_shared/http.ts';
import { setLogLevel } from '../_shared/log.ts';
import { defineFunction, type FetchHandler } from '../_shared/serve.ts';

export const SIP_STATUS_ENV = functionEnv({
  LIVEKIT_URL: z.string().optional(),
  LIVEKIT_API_KEY: z.string().optional(),
  LIVEKIT_API_SECRET: z.string().optional(),
  /** The worker's health server, reachable from where the function runs. */
  WORKER_HEALTH_URL: z.url().default(DEFAULT_WORKER_HEALTH_URL),
  AGENT_NAME: z.string().optional(),
  /** Per part (LiveKit, worker, database), in ms. */
  SIP_STATUS_TIMEOUT_MS: z.coerce.number().int().min(100).max(30_000).default(3_000),
});
export type SipStatusEnv = z.infer<typeof SIP_STATUS_ENV>;

export interface SipStatusApp {
  fetch: FetchHandler;
  close(): Promise<void>;
}

const MISSING =
  'is not set for the function: on Supabase run `supabase secrets set LIVEKIT_URL=... LIVEKIT_API_KEY=... LIVEKIT_API_SECRET=...`; ' +
  'locally put them in supabase/functions/.env (or export them) and restart npm run dev';

export function createSipStatus(env: SipStatusEnv, overrides: { db?: Database } = {}): SipStatusApp {
  setLogLevel(env.LOG_LEVEL);
  const auth = createAuthenticator(authOptionsFromEnv(env));
  const db = overrides.db ?? createDatabase(env.SUPABASE_DB_URL, databaseOptionsFromEnv(env));
  const desired = COMMITTED_DESIRED;

  async function snapshot(): Promise<SipSnapshot> {
    const missing = (['LIVEKIT_URL', 'LIVEKIT_API_KEY', 'LIVEKIT_API_SECRET'] as const).find((name) => !env[name]);
    const taken = await collectSnapshot({
      livekit: {
        host: env.LIVEKIT_URL ?? '',
        apiKey: env.LIVEKIT_API_KEY ?? '',
        apiSecret: env.LIVEKIT_API_SECRET ?? '',
      },
      timeoutMs: env.SIP_STATUS_TIMEOUT_MS,
      workerUrl: env.WORKER_HEALTH_URL,
      // Service role: the report covers every owner's numbers and issues, and only admins see it.
      readDatabase: () =>
        db.asServiceRole(async (tx) => {
          const [phoneNumbers, configIssues] = [
            await tx.unsafe<PhoneNumberRow[]>(PHONE_NUMBERS_SQL),
            await tx.unsafe<ConfigIssueRow[]>(OPEN_CONFIG_ISSUES_SQL),
          ];
          return { phoneNumbers: [...phoneNumbers], configIssues: [...configIssues] };
        }),
      providerKeys: null, // the worker's keys live in the worker's environment, not the function's
      expectedAgentName: resolveAgentName(env.AGENT_NAME),
      desired,
      skipLiveKit: missing ? `${missing} ${MISSING}` : undefined,
    });
    return taken;
  }

  const fetch = defineFunction({
    name: 'sip-status',
    methods: ['GET'],
    allowOrigin: env.CORS_ALLOW_ORIGIN,
    async handle(req) {
      requireAdmin(await auth.authenticate(req));
      const taken = await snapshot();
      return jsonResponse(buildReport(taken, diagnose(taken)));
    },
  });
  return { fetch, close: () => db.end() };
}
