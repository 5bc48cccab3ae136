// The agent_configs row and its write shape, validated exactly as the database does, so the
// frontend, functions and agent refuse the same input with the same reasons.
import { z } from 'zod';
import { e164Schema } from './phone.ts';
import { voiceIdSchema } from './voice_id.ts';

export const MIN_CALL_DURATION_MS = 60_000;
export const MAX_CALL_DURATION_MS = 4 * 60 * 60 * 1000;
export const MIN_SILENCE_TIMEOUT_MS = 5_000;
export const MAX_SILENCE_TIMEOUT_MS = 10 * 60 * 1000;
export const DEFAULT_LLM_MODEL = 'gpt-4o-mini';
export const DEFAULT_STT_LANGUAGE = 'en-US';
export const DEFAULT_MAX_CALL_DURATION_MS = 30 * 60 * 1000;
export const DEFAULT_SILENCE_TIMEOUT_MS = 30_000;

/** Fields an owner writes (insert or update). */
export const agentConfigInputSchema = z.object({
  name: z.string().trim().min(1, 'name must not be empty').max(100, 'name must be at most 100 characters'),
  voice_id: voiceIdSchema,
  system_prompt: z.string().max(20_000, 'system_prompt must be at most 20000 characters'),
  greeting: z.string().max(1_000, 'greeting must be at most 1000 characters'),
  llm_model: z
    .string()
    .regex(/^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$/, 'llm_model must be a model name such as gpt-4o-mini'),
  stt_language: z
    .string()
    .regex(/^([a-z]{2,3}(-[A-Za-z0-9]{2,8})*|multi)$/, 'stt_language must be a BCP-47 tag such as en-US, or multi'),
  max_call_duration_ms: z.number().int().min(MIN_CALL_DURATION_MS).max(MAX_CALL_DURATION_MS),
  silence_timeout_ms: z.number().int().min(MIN_SILENCE_TIMEOUT_MS).max(MAX_SILENCE_TIMEOUT_MS),
  transfer_number: e164Schema.nullable(),
});
export type AgentConfigInput = z.infer<typeof agentConfigInputSchema>;

/** A stored config, as resolve_agent_config() and Realtime deliver it. */
export const agentConfigSchema = agentConfigInputSchema.extend({
  id: z.string().uuid(),
  owner_id: z.string().uuid(),
  version: z.number().int().min(1),
  created_at: z.string(),
  updated_at: z.string(),
  /** Offer the take_message tool. Default true (a row from before the column had none). */
  take_messages: z.boolean().default(true),
  /** Summarize and classify the call after the hang-up. Default true. */
  post_call_analysis: z.boolean().default(true),
});
export type AgentConfig = z.infer<typeof agentConfigSchema>;

export const voiceSchema = z.object({
  voice_id: z.string(),
  provider: z.string(),
  name: z.string(),
  category: z.string(),
  labels: z.record(z.string(), z.unknown()),
  preview_url: z.string().nullable(),
  enabled: z.boolean(),
  is_default: z.boolean(),
});
export type Voice = z.infer<typeof voiceSchema>;

/** The answer of resolve_agent_config(dialed_number). */
export const resolvedAgentConfigSchema = z.object({
  dialed_number: z.string().nullable(),
  phone_number: z
    .object({ id: z.string().uuid(), e164: z.string(), label: z.string(), owner_id: z.string().uuid() })
    .nullable(),
  config: agentConfigSchema.nullable(),
  voice: voiceSchema.nullable(),
  default_voice: voiceSchema.nullable(),
});
export type ResolvedAgentConfig = z.infer<typeof resolvedAgentConfigSchema>;
