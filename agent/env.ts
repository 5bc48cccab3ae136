// The worker's environment, parsed once at start-up. Nothing else in agent/ reads process.env.
// A bad environment is reported in one message that names every missing or malformed variable
// and what it should look like, then the worker exits non-zero (exit code 3: configuration).
import { z } from 'zod';
import { AppError } from '../shared/errors.ts';
import { resolveAgentName } from '../shared/agent_name.ts';
import { devDatabaseUrl } from '../shared/dev_stack.ts';
import { callRecordsEnvSchema, callRecordsProblems, callRecordsSettings } from './call_records_env.ts';
import { DEFAULT_ANALYSIS_TIMEOUT_MS } from './call/post_call_analysis.ts';
import { providerDeadlines } from './call/provider_deadlines.ts';
import { hostEnvSchema, hostSettings } from './host/host_env.ts';

export const DEFAULT_HEALTH_PORT = 8081;
export const CONFIG_EXIT_CODE = 3;

const url = (what: string, protocols: string[]) =>
  z
    .string({ error: `required: ${what}` })
    .trim()
    .min(1, `required: ${what}`)
    .refine(
      (value) => {
        try {
          return protocols.includes(new URL(value).protocol);
        } catch {
          return false;
        }
      },
      `must be a ${protocols.map((p) => p.replace(':', '')).join('/')} URL (${what})`,
    );

const secret = (what: string) =>
  z
    .string({ error: `required: ${what}` })
    .trim()
    .min(1, `required: ${what}`);
const optionalUrl = (what: string, protocols: string[]) => url(what, protocols).optional();

const providerSchema = z.object({
  OPENAI_API_KEY: secret('the OpenAI API key'),
  DEEPGRAM_API_KEY: secret('the Deepgram API key'),
  ELEVEN_API_KEY: secret('the ElevenLabs API key (ELEVEN_API_KEY, not ELEVENLABS_API_KEY)'),
  OPENAI_BASE_URL: optionalUrl('OpenAI API base, e.g. https://api.openai.com/v1', ['http:', 'https:']),
  DEEPGRAM_BASE_URL: optionalUrl('Deepgram base, e.g. wss://api.deepgram.com', ['ws:', 'wss:']),
  ELEVENLABS_BASE_URL: optionalUrl('ElevenLabs API base, e.g. https://api.elevenlabs.io/v1', ['http:', 'https:']),
});

const positiveMs = z.coerce
  .number({ error: 'must be a whole number of milliseconds' })
  .int('must be a whole number of milliseconds')
  .positive('must be a whole number of milliseconds')
  .optional();

/** How long a call waits on each provider; defaults in agent/call/provider_deadlines.ts. */
const deadlineSchema = z.object({
  TTS_FIRST_AUDIO_TIMEOUT_MS: positiveMs,
  TTS_CHUNK_GAP_TIMEOUT_MS: positiveMs,
  LLM_FIRST_TOKEN_TIMEOUT_MS: positiveMs,
  LLM_STREAM_GAP_TIMEOUT_MS: positiveMs,
  STT_RESPONSE_TIMEOUT_MS: positiveMs,
  CALL_END_DRAIN_TIMEOUT_MS: positiveMs,
  /** The post-call analysis's deadline; default in agent/call/post_call_analysis.ts. */
  ANALYSIS_TIMEOUT_MS: positiveMs,
});

const databaseSchema = z.object({
  DATABASE_URL: optionalUrl('Postgres connection string', ['postgres:', 'postgresql:']),
  SUPABASE_URL: optionalUrl('Supabase project URL, e.g. https://xyz.supabase.co', ['http:', 'https:']),
  SUPABASE_SERVICE_ROLE_KEY: z.string().trim().min(1).optional(),
});

const workerSchema = z
  .object({
    LIVEKIT_URL: url('LiveKit server URL, e.g. wss://your-project.livekit.cloud or ws://127.0.0.1:7880', [
      'ws:',
      'wss:',
      'http:',
      'https:',
    ]),
    LIVEKIT_API_KEY: secret('LiveKit API key (devkey under livekit-server --dev)'),
    LIVEKIT_API_SECRET: secret('LiveKit API secret (secret under livekit-server --dev)'),
    AGENT_NAME: z.string().optional(),
    PORT: z.coerce
      .number({ error: 'must be a port number' })
      .int('must be a port number')
      .min(0, 'must be a port number')
      .max(65535, 'must be a port number')
      .default(DEFAULT_HEALTH_PORT),
    LOG_LEVEL: z.enum(['trace', 'debug', 'info', 'warn', 'error', 'fatal']).default('info'),
  })
  .extend(providerSchema.shape)
  .extend(deadlineSchema.shape)
  .extend(databaseSchema.shape)
  .extend(callRecordsEnvSchema.shape)
  .extend(hostEnvSchema.shape);

export type WorkerEnv = ReturnType<typeof toWorkerEnv>;

export type ConfigBackendEnv =
  | { kind: 'postgres'; databaseUrl: string }
  | { kind: 'supabase'; supabaseUrl: string; serviceRoleKey: string };

function toWorkerEnv(data: z.infer<typeof workerSchema>, backend: ConfigBackendEnv) {
  return {
    livekit: { url: data.LIVEKIT_URL, apiKey: data.LIVEKIT_API_KEY, apiSecret: data.LIVEKIT_API_SECRET },
    agentName: resolveAgentName(data.AGENT_NAME),
    port: data.PORT,
    logLevel: data.LOG_LEVEL,
    providers: {
      openaiApiKey: data.OPENAI_API_KEY,
      deepgramApiKey: data.DEEPGRAM_API_KEY,
      elevenApiKey: data.ELEVEN_API_KEY,
      openaiBaseUrl: data.OPENAI_BASE_URL,
      deepgramBaseUrl: data.DEEPGRAM_BASE_URL,
      elevenBaseUrl: data.ELEVENLABS_BASE_URL,
    },
    deadlines: providerDeadlines({
      ttsFirstAudioMs: data.TTS_FIRST_AUDIO_TIMEOUT_MS,
      ttsChunkGapMs: data.TTS_CHUNK_GAP_TIMEOUT_MS,
      llmFirstTokenMs: data.LLM_FIRST_TOKEN_TIMEOUT_MS,
      llmStreamGapMs: data.LLM_STREAM_GAP_TIMEOUT_MS,
      sttResponseMs: data.STT_RESPONSE_TIMEOUT_MS,
      endDrainMs: data.CALL_END_DRAIN_TIMEOUT_MS,
    }),
    analysisTimeoutMs: data.ANALYSIS_TIMEOUT_MS ?? DEFAULT_ANALYSIS_TIMEOUT_MS,
    backend,
    callRecords: callRecordsSettings(data),
    host: hostSettings(data),
  };
}

/** Parses the worker's environment; throws one AppError('invalid_config') naming every problem. */
export function loadWorkerEnv(source: Record<string, string | undefined> = process.env): WorkerEnv {
  const cleaned = blankToUndefined(source);
  const parsed = workerSchema.safeParse(cleaned);
  const problems = parsed.success
    ? []
    : parsed.error.issues.map((issue) => `${issue.path.join('.')} (${issue.message})`);
  const backend = pickBackend(cleaned, problems);
  if (parsed.success) problems.push(...callRecordsProblems(callRecordsSettings(parsed.data)));
  if (!parsed.success || !backend || problems.length > 0) {
    if (!backend && !problems.some((p) => p.startsWith('DATABASE_URL') || p.startsWith('SUPABASE'))) {
      problems.push('DATABASE_URL or SUPABASE_URL + SUPABASE_SERVICE_ROLE_KEY (required: where agent configs live)');
    }
    throw new AppError('invalid_config', `missing or invalid environment variables: ${problems.join('; ')}`);
  }
  return toWorkerEnv(parsed.data, backend);
}

function pickBackend(data: Record<string, string | undefined>, problems: string[]): ConfigBackendEnv | null {
  const supabaseUrl = data.SUPABASE_URL?.trim();
  const serviceKey = data.SUPABASE_SERVICE_ROLE_KEY?.trim();
  const databaseUrl = data.DATABASE_URL?.trim();
  if (supabaseUrl || serviceKey) {
    if (!supabaseUrl) problems.push('SUPABASE_URL (required with SUPABASE_SERVICE_ROLE_KEY)');
    if (!serviceKey) problems.push('SUPABASE_SERVICE_ROLE_KEY (required with SUPABASE_URL: the service_role key)');
    return supabaseUrl && serviceKey ? { kind: 'supabase', supabaseUrl, serviceRoleKey: serviceKey } : null;
  }
  return databaseUrl ? { kind: 'postgres', databaseUrl } : null;
}

function blankToUndefined(source: Record<string, string | undefined>): Record<string, string | undefined> {
  const out: Record<string, string | undefined> = {};
  for (const [key, value] of Object.entries(source)) out[key] = value?.trim() === '' ? undefined : value;
  return out;
}

/** The LiveKit variables `npm run dev` needs before it starts the worker. */
export const LIVEKIT_ENV_NAMES = ['LIVEKIT_URL', 'LIVEKIT_API_KEY', 'LIVEKIT_API_SECRET'] as const;

export interface TextCallEnv {
  openaiApiKey: string;
  openaiBaseUrl: string | undefined;
  backend: ConfigBackendEnv;
  /** True when no database was configured and the local stack's is used. */
  usingDevDatabase: boolean;
}

/**
 * `npm run call`: only the OpenAI key is required; the config comes from the configured backend
 * or else the local stack's database (`npm run dev`, on DEV_DB_PORT when that is set).
 */
export function loadTextCallEnv(source: Record<string, string | undefined> = process.env): TextCallEnv {
  const cleaned = blankToUndefined(source);
  const problems: string[] = [];
  if (!cleaned.OPENAI_API_KEY) {
    problems.push(
      'OPENAI_API_KEY (required: the text conversation uses the real OpenAI LLM; export OPENAI_API_KEY=sk-...)',
    );
  }
  const baseUrl = optionalUrl('OpenAI API base', ['http:', 'https:']).safeParse(cleaned.OPENAI_BASE_URL);
  if (!baseUrl.success) problems.push(`OPENAI_BASE_URL (${baseUrl.error.issues[0]?.message})`);
  const backend = pickBackend(cleaned, problems);
  let devUrl = '';
  if (!backend) {
    try {
      devUrl = devDatabaseUrl(cleaned);
    } catch (error) {
      problems.push((error as Error).message);
    }
  }
  if (problems.length > 0)
    throw new AppError('invalid_config', `missing or invalid environment variables: ${problems.join('; ')}`);
  return {
    openaiApiKey: cleaned.OPENAI_API_KEY!,
    openaiBaseUrl: baseUrl.success ? baseUrl.data : undefined,
    backend: backend ?? { kind: 'postgres', databaseUrl: devUrl },
    usingDevDatabase: backend === null,
  };
}
