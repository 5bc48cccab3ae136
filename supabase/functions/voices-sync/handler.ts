// voices-sync (POST, admins only): pulls the ElevenLabs voice list into public.voices. Upserts
// name, category, labels and preview_url, never deletes, disables voices that vanished (their
// configs get flagged), re-enables voices it had disabled once they are listed again, and keeps
// exactly one enabled default. {"dry_run": true} reports without writing. Idempotent.
import { z } from 'zod';
import { authOptionsFromEnv, createAuthenticator, requireAdmin } from '../_shared/auth.ts';
import { parseJsonBody } from '../_shared/body.ts';
import { createDatabase, type Database, databaseOptionsFromEnv } from '../_shared/db.ts';
import {
  createElevenLabsClient,
  DEFAULT_ELEVENLABS_BASE_URL,
  type ElevenLabsClient,
} from '../../../shared/elevenlabs_client.ts';
import { functionEnv } from '../_shared/env.ts';
import { jsonResponse } from '../_shared/http.ts';
import { setLogLevel } from '../_shared/log.ts';
import { defineFunction, type FetchHandler } from '../_shared/serve.ts';
import { type SyncResult, syncVoiceCatalog } from '../../../shared/voices_catalog.ts';

export const VOICES_SYNC_ENV = functionEnv({
  ELEVEN_API_KEY: z.string().min(1),
  ELEVENLABS_BASE_URL: z.url().default(DEFAULT_ELEVENLABS_BASE_URL),
  SYNC_UPSTREAM_TIMEOUT_MS: z.coerce.number().int().min(100).default(15_000),
});
export type VoicesSyncEnv = z.infer<typeof VOICES_SYNC_ENV>;

const requestSchema = z.strictObject(
  { dry_run: z.boolean({ error: 'dry_run must be true or false' }).default(false) },
  {
    error: (issue) =>
      issue.code === 'unrecognized_keys' ? `unknown field(s): ${issue.keys.join(', ')}; allowed: dry_run` : undefined,
  },
);

export interface VoicesSyncApp {
  fetch: FetchHandler;
  close(): Promise<void>;
}

export function createVoicesSync(
  env: VoicesSyncEnv,
  overrides: { db?: Database; elevenlabs?: ElevenLabsClient } = {},
): VoicesSyncApp {
  setLogLevel(env.LOG_LEVEL);
  const auth = createAuthenticator(authOptionsFromEnv(env));
  const db = overrides.db ?? createDatabase(env.SUPABASE_DB_URL, databaseOptionsFromEnv(env));
  const elevenlabs =
    overrides.elevenlabs ??
    createElevenLabsClient({
      apiKey: env.ELEVEN_API_KEY,
      baseUrl: env.ELEVENLABS_BASE_URL,
      timeoutMs: env.SYNC_UPSTREAM_TIMEOUT_MS,
    });
  const fetch = defineFunction({
    name: 'voices-sync',
    methods: ['POST'],
    allowOrigin: env.CORS_ALLOW_ORIGIN,
    async handle(req, { log }) {
      requireAdmin(await auth.authenticate(req));
      const body = await parseJsonBody(req, requestSchema, {
        allowEmpty: true,
        timeoutMs: env.REQUEST_BODY_TIMEOUT_MS,
      });
      const listed = await elevenlabs.listAllVoices();
      // service_role: only it may write the catalog; the caller was checked to be an admin.
      const result = await syncVoiceCatalog((work) => db.asServiceRole(work), listed, { dryRun: body.dry_run });
      log.info({ dryRun: result.dryRun, summary: result.report.at(-1) }, 'voices synced');
      return jsonResponse(toResponse(result));
    },
  });
  return { fetch, close: () => db.end() };
}

/** The JSON the README documents. */
export function toResponse(result: SyncResult) {
  const { plan } = result;
  return {
    dry_run: result.dryRun,
    changed: result.changed,
    added: plan.inserts.map((v) => ({ voice_id: v.voice_id, name: v.name, category: v.category })),
    updated: plan.updates,
    disabled: plan.disables,
    enabled: plan.enables,
    default_changed: plan.defaultChange,
    skipped: plan.skipped,
    unchanged: plan.unchanged,
    summary: result.report.at(-1) ?? '',
  };
}
