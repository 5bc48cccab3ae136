// Everything a `npm run sip` command needs from its environment, parsed once: LiveKit access,
// the desired state (telephony.json + env), the database reader, where backups go.
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import postgres from 'postgres';
import { z } from 'zod';
import { AppError } from '../../shared/errors.ts';
import {
  buildDesiredState,
  type DesiredState,
  parseTelephonyConfig,
  type TelephonyConfig,
} from '../../shared/sip/desired.ts';
import { PROVIDER_KEY_NAMES } from '../../shared/sip/diagnose/providers.ts';
import { OPEN_CONFIG_ISSUES_SQL, PHONE_NUMBERS_SQL } from '../../shared/sip/snapshot.ts';
import type { ConfigIssueRow, PhoneNumberRow, ProviderKeys } from '../../shared/sip/types.ts';
import { DEFAULT_TIMEOUT_MS, DEFAULT_WORKER_HEALTH_URL, type LiveKitAccess } from '../../shared/sip/collect.ts';

export const PROJECT_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const DEFAULT_TELEPHONY_CONFIG = path.join(PROJECT_ROOT, 'telephony.json');
export const DEFAULT_BACKUP_DIR = path.join(PROJECT_ROOT, '.data', 'sip-backups');

const optional = z
  .string()
  .optional()
  .transform((v) => (v?.trim() ? v : undefined));
const envSchema = z.object({
  LIVEKIT_URL: optional,
  LIVEKIT_API_KEY: optional,
  LIVEKIT_API_SECRET: optional,
  LIVEKIT_TIMEOUT_MS: z.coerce.number().int().min(1).max(120_000).default(DEFAULT_TIMEOUT_MS),
  DATABASE_URL: optional,
  WORKER_HEALTH_URL: optional.transform((v) => v ?? DEFAULT_WORKER_HEALTH_URL),
  AGENT_NAME: optional,
  SIP_AUTH_USERNAME: optional,
  SIP_AUTH_PASSWORD: optional,
  SIP_ALLOWED_ADDRESSES: optional,
  TELEPHONY_CONFIG: optional.transform((v) => v ?? DEFAULT_TELEPHONY_CONFIG),
  SIP_BACKUP_DIR: optional.transform((v) => v ?? DEFAULT_BACKUP_DIR),
});
export type SipEnv = z.infer<typeof envSchema>;

export interface SipContext {
  env: SipEnv;
  providerKeys: ProviderKeys;
}

export function loadContext(source: Record<string, string | undefined>): SipContext {
  const parsed = envSchema.safeParse(source);
  if (!parsed.success) {
    const names = parsed.error.issues.map((issue) => `${issue.path.join('.')} (${issue.message})`).join(', ');
    throw new AppError('invalid_config', `Invalid environment variables: ${names}.`);
  }
  const providerKeys = Object.fromEntries(PROVIDER_KEY_NAMES.map((name) => [name, Boolean(source[name]?.trim())]));
  return { env: parsed.data, providerKeys };
}

const MISSING_LIVEKIT: Record<string, string> = {
  LIVEKIT_URL:
    'LIVEKIT_URL is not set: export LIVEKIT_URL=https://<project>.livekit.cloud (or http://127.0.0.1:7880 for `livekit-server --dev`).',
  LIVEKIT_API_KEY:
    'LIVEKIT_API_KEY is not set: export the API key from LiveKit Cloud (Settings -> API keys), or devkey for `livekit-server --dev`.',
  LIVEKIT_API_SECRET:
    'LIVEKIT_API_SECRET is not set: export the secret that belongs to LIVEKIT_API_KEY (secret for `livekit-server --dev`).',
};

export function requireLiveKit(env: SipEnv): LiveKitAccess {
  for (const name of ['LIVEKIT_URL', 'LIVEKIT_API_KEY', 'LIVEKIT_API_SECRET'] as const) {
    if (!env[name]) throw new AppError('invalid_config', MISSING_LIVEKIT[name]!);
  }
  const host = env.LIVEKIT_URL!;
  let url: URL;
  try {
    url = new URL(host);
  } catch {
    throw new AppError(
      'invalid_config',
      `LIVEKIT_URL ${JSON.stringify(host)} is not a URL: use https://<project>.livekit.cloud (or http://127.0.0.1:7880).`,
    );
  }
  if (!['http:', 'https:', 'ws:', 'wss:'].includes(url.protocol)) {
    throw new AppError(
      'invalid_config',
      `LIVEKIT_URL ${JSON.stringify(host)} must start with https://, http://, wss:// or ws://.`,
    );
  }
  return { host, apiKey: env.LIVEKIT_API_KEY!, apiSecret: env.LIVEKIT_API_SECRET! };
}

export async function loadTelephonyConfig(env: SipEnv): Promise<TelephonyConfig> {
  let raw: unknown;
  try {
    raw = JSON.parse(await readFile(env.TELEPHONY_CONFIG, 'utf8'));
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'not found' : (error as Error).message;
    throw new AppError(
      'invalid_config',
      `Cannot read ${env.TELEPHONY_CONFIG} (${reason}): restore telephony.json or set TELEPHONY_CONFIG.`,
    );
  }
  return parseTelephonyConfig(raw, path.basename(env.TELEPHONY_CONFIG));
}

export async function loadDesired(env: SipEnv): Promise<DesiredState> {
  const config = await loadTelephonyConfig(env);
  return buildDesiredState(config, env);
}

/** phone_numbers and open config_issues over DATABASE_URL (superuser/service role: every owner). */
export function databaseReader(env: SipEnv, timeoutMs: number) {
  const url = env.DATABASE_URL;
  if (!url) return undefined;
  return async (): Promise<{ phoneNumbers: PhoneNumberRow[]; configIssues: ConfigIssueRow[] }> => {
    const sql = postgres(url, { max: 2, onnotice: () => {}, connect_timeout: Math.ceil(timeoutMs / 1000) });
    try {
      const [phoneNumbers, configIssues] = await Promise.all([
        sql.unsafe<PhoneNumberRow[]>(PHONE_NUMBERS_SQL),
        sql.unsafe<ConfigIssueRow[]>(OPEN_CONFIG_ISSUES_SQL),
      ]);
      return { phoneNumbers: [...phoneNumbers], configIssues: [...configIssues] };
    } finally {
      await sql.end({ timeout: 1 });
    }
  };
}
