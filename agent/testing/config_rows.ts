// Config rows as resolve_agent_config() returns them, built in memory for the pure tests of
// change matching. Tests of the call flow and the sources arrange real rows in SQL instead.
import type { AgentConfig, ResolvedAgentConfig, Voice } from '../../shared/agent_config.ts';

export const RACHEL = '21m00Tcm4TlvDq8ikWAM';
export const ADAM = 'pNInz6obpgDQGcFmaJgB';

export function catalogVoice(voiceId: string, isDefault = false): Voice {
  return {
    voice_id: voiceId,
    provider: 'elevenlabs',
    name: voiceId.slice(0, 6),
    category: 'premade',
    labels: {},
    preview_url: null,
    enabled: true,
    is_default: isDefault,
  };
}

export function testConfig(overrides: Partial<AgentConfig> = {}): AgentConfig {
  return {
    id: '11111111-1111-4111-8111-111111111111',
    owner_id: '22222222-2222-4222-8222-222222222222',
    name: 'Front desk',
    voice_id: ADAM,
    system_prompt: 'You answer for Acme Plumbing.',
    greeting: 'Thanks for calling Acme Plumbing!',
    llm_model: 'gpt-4o-mini',
    stt_language: 'en-US',
    max_call_duration_ms: 1_800_000,
    silence_timeout_ms: 30_000,
    transfer_number: null,
    take_messages: true,
    post_call_analysis: true,
    version: 1,
    created_at: new Date(0).toISOString(),
    updated_at: new Date(0).toISOString(),
    ...overrides,
  };
}

export function resolvedFor(number: string, config: AgentConfig | null): ResolvedAgentConfig {
  return {
    dialed_number: number,
    phone_number: config
      ? { id: '33333333-3333-4333-8333-333333333333', e164: number, label: '', owner_id: config.owner_id }
      : null,
    config,
    voice: config ? catalogVoice(config.voice_id, config.voice_id === RACHEL) : null,
    default_voice: catalogVoice(RACHEL, true),
  };
}
