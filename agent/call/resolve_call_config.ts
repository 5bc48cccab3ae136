// Which agent answers a call: the owner's config for the dialed number; when the database is
// unreachable, the source's last known copy; else the generic receptionist in the default
// voice. A number nobody answers (unknown, or without a config) is 'unknown'.
import type { AgentConfig, ResolvedAgentConfig } from '../../shared/agent_config.ts';
import { DEFAULT_VOICE_ID } from '../../shared/voice_id.ts';
import type { ConfigOrigin, ConfigSource } from '../config/types.ts';
import { genericReceptionistConfig } from './fallback.ts';

export type CallConfig =
  | {
      kind: 'agent';
      config: AgentConfig;
      voiceId: string;
      defaultVoiceId: string;
      origin: ConfigOrigin;
      ownerId: string | null;
      agentConfigId: string | null;
    }
  | { kind: 'unknown'; defaultVoiceId: string; origin: ConfigOrigin; reason: string };
/** A call some agent answers: the owner's config, a last known copy, or the generic receptionist. */
export type AgentCallConfig = Extract<CallConfig, { kind: 'agent' }>;
/** A number nobody answers: told so, then hung up on. */
export type UnknownCallConfig = Extract<CallConfig, { kind: 'unknown' }>;

export async function resolveCallConfig(
  source: ConfigSource,
  dialedNumber: string | null,
  onUnavailable: (error: unknown) => void,
): Promise<CallConfig> {
  if (!dialedNumber) {
    return {
      kind: 'unknown',
      defaultVoiceId: DEFAULT_VOICE_ID,
      origin: 'default',
      reason: 'no dialed number (does the dispatch rule hide phone numbers?)',
    };
  }
  let answer;
  try {
    answer = await source.resolve(dialedNumber);
  } catch (error) {
    onUnavailable(error);
    const config = genericReceptionistConfig();
    return {
      kind: 'agent',
      config,
      voiceId: config.voice_id,
      defaultVoiceId: config.voice_id,
      origin: 'default',
      ownerId: null,
      agentConfigId: null,
    };
  }
  const defaultVoiceId = defaultVoiceOf(answer.resolved);
  const config = answer.resolved.config;
  if (!config) {
    const reason = answer.resolved.phone_number ? 'the number has no agent config' : 'the number is not one of ours';
    return { kind: 'unknown', defaultVoiceId, origin: answer.origin, reason };
  }
  return {
    kind: 'agent',
    config,
    voiceId: effectiveVoiceId(answer.resolved),
    defaultVoiceId,
    origin: answer.origin,
    ownerId: config.owner_id,
    agentConfigId: config.id,
  };
}

export function defaultVoiceOf(resolved: ResolvedAgentConfig): string {
  return resolved.default_voice?.voice_id ?? DEFAULT_VOICE_ID;
}

/** The config's voice while the catalog has it enabled; otherwise the default voice. */
export function effectiveVoiceId(resolved: ResolvedAgentConfig): string {
  const voice = resolved.voice;
  if (resolved.config && voice?.enabled && voice.voice_id === resolved.config.voice_id) return voice.voice_id;
  return defaultVoiceOf(resolved);
}
