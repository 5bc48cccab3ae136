import { describe, expect, it } from 'vitest';
import { agentConfigInputSchema, agentConfigSchema } from './agent_config.ts';
import { resolveAgentName, DEFAULT_AGENT_NAME } from './agent_name.ts';

const valid = {
  name: 'Front desk',
  voice_id: '21m00Tcm4TlvDq8ikWAM',
  system_prompt: 'You answer for Acme.',
  greeting: '',
  llm_model: 'gpt-4o-mini',
  stt_language: 'en-US',
  max_call_duration_ms: 1_800_000,
  silence_timeout_ms: 30_000,
  transfer_number: null,
};

describe('agentConfigInputSchema', () => {
  it('accepts a valid config', () => {
    expect(agentConfigInputSchema.parse(valid)).toEqual(valid);
  });
  it.each([
    ['voice_id', 'Rachel', 'is not a valid voice ID'],
    ['voice_id', '11labs-Kate', 'provider prefix'],
    ['transfer_number', '555-1234', 'E.164'],
    ['stt_language', 'English', 'BCP-47'],
    ['name', '   ', 'must not be empty'],
  ])('refuses %s = %j with a message a frontend can show', (field, value, message) => {
    const result = agentConfigInputSchema.safeParse({ ...valid, [field]: value });
    expect(result.success).toBe(false);
    expect(result.error!.issues[0]!.path).toEqual([field]);
    expect(result.error!.issues[0]!.message).toContain(message);
  });
  it('refuses call limits outside what the database allows', () => {
    expect(agentConfigInputSchema.safeParse({ ...valid, max_call_duration_ms: 59_999 }).success).toBe(false);
    expect(agentConfigInputSchema.safeParse({ ...valid, silence_timeout_ms: 4_999 }).success).toBe(false);
  });
});

describe('agent name', () => {
  it('defaults to the runbook name and honours a trimmed override', () => {
    expect(resolveAgentName(undefined)).toBe('SW Telephony Agent');
    expect(resolveAgentName('  ')).toBe(DEFAULT_AGENT_NAME);
    expect(resolveAgentName(' Other Agent ')).toBe('Other Agent');
  });
});

describe('agentConfigSchema', () => {
  const stored = {
    ...valid,
    id: '11111111-1111-4111-8111-111111111111',
    owner_id: '22222222-2222-4222-8222-222222222222',
    version: 1,
    created_at: '',
    updated_at: '',
  };

  it('keeps the take_messages and post_call_analysis switches the database sends', () => {
    expect(agentConfigSchema.parse({ ...stored, take_messages: false, post_call_analysis: false })).toMatchObject({
      take_messages: false,
      post_call_analysis: false,
    });
  });

  it('turns both switches on for a config that has neither', () => {
    expect(agentConfigSchema.parse(stored)).toMatchObject({ take_messages: true, post_call_analysis: true });
  });
});
