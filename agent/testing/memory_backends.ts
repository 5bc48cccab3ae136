// In-memory stand-ins for the ConfigSource and CallStore contracts, for call-flow tests that are
// not about the database (the database-backed tests use the real sources on embedded Postgres).
import type { AgentConfig, ResolvedAgentConfig, Voice } from '../../shared/agent_config.ts';
import { toE164 } from '../../shared/phone.ts';
import type { CallCompletion, CallStart, CallStore, ConfigListener, ConfigSource, ResolvedCallConfig } from '../config/types.ts';

export const RACHEL = '21m00Tcm4TlvDq8ikWAM';
export const ADAM = 'pNInz6obpgDQGcFmaJgB';

export function catalogVoice(voiceId: string, isDefault = false): Voice {
  return { voice_id: voiceId, provider: 'elevenlabs', name: voiceId.slice(0, 6), category: 'premade', labels: {}, preview_url: null, enabled: true, is_default: isDefault };
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
    version: 1,
    created_at: new Date(0).toISOString(),
    updated_at: new Date(0).toISOString(),
    ...overrides,
  };
}

export function resolvedFor(number: string, config: AgentConfig | null): ResolvedAgentConfig {
  return {
    dialed_number: number,
    phone_number: config ? { id: '33333333-3333-4333-8333-333333333333', e164: number, label: '', owner_id: config.owner_id } : null,
    config,
    voice: config ? catalogVoice(config.voice_id, config.voice_id === RACHEL) : null,
    default_voice: catalogVoice(RACHEL, true),
  };
}

export class MemoryConfigSource implements ConfigSource {
  entries = new Map<string, ResolvedAgentConfig>();
  listeners = new Map<string, Set<ConfigListener>>();
  unreachable = false;

  set(number: string, config: AgentConfig | null): void {
    const key = toE164(number)!;
    const resolved = resolvedFor(key, config);
    this.entries.set(key, resolved);
    for (const listener of this.listeners.get(key) ?? []) listener(resolved);
  }
  async start(): Promise<void> {}
  async resolve(dialedNumber: string): Promise<ResolvedCallConfig> {
    if (this.unreachable) throw new Error('connect ECONNREFUSED 127.0.0.1:5432');
    const key = toE164(dialedNumber) ?? dialedNumber;
    return { resolved: this.entries.get(key) ?? resolvedFor(key, null), origin: 'database' };
  }
  watch(dialedNumber: string, listener: ConfigListener): () => void {
    const key = toE164(dialedNumber) ?? dialedNumber;
    const set = this.listeners.get(key) ?? new Set();
    set.add(listener);
    this.listeners.set(key, set);
    return () => set.delete(listener);
  }
  async close(): Promise<void> {}
}

export class MemoryCallStore implements CallStore {
  calls = new Map<string, CallStart & Partial<CallCompletion>>();
  voiceReports: Array<{ agentConfigId: string; voiceId: string; source: string }> = [];
  async startCall(call: CallStart): Promise<string> {
    const id = crypto.randomUUID();
    this.calls.set(id, { ...call });
    return id;
  }
  async completeCall(callId: string, completion: CallCompletion): Promise<void> {
    Object.assign(this.calls.get(callId)!, completion);
  }
  async reportVoiceNotFound(agentConfigId: string, voiceId: string, source: string): Promise<void> {
    this.voiceReports.push({ agentConfigId, voiceId, source });
  }
}

export class RecordingControls {
  hangUps = 0;
  transfers: string[] = [];
  failTransfer = false;
  async hangUp(): Promise<void> {
    this.hangUps += 1;
  }
  async transfer(e164: string): Promise<void> {
    if (this.failTransfer) throw new Error('SIP 486 Busy Here');
    this.transfers.push(e164);
  }
}
