// What the agent says and uses when it cannot use the owner's config: the database was
// unreachable at call start (and no copy was known), or the number is not ours. A call is
// always answered; these sentences are spoken in the catalog's default voice.
import {
  type AgentConfig,
  DEFAULT_LLM_MODEL,
  DEFAULT_MAX_CALL_DURATION_MS,
  DEFAULT_SILENCE_TIMEOUT_MS,
  DEFAULT_STT_LANGUAGE,
} from '../../shared/agent_config.ts';
import { DEFAULT_VOICE_ID } from '../../shared/voice_id.ts';
import { GENERIC_RECEPTIONIST_PROMPT } from './instructions.ts';

export const UNKNOWN_NUMBER_MESSAGE = 'Sorry, this number is not in service. Goodbye.';
export const PROVIDER_APOLOGY =
  "I'm sorry, we're having technical difficulties and can't continue this call. Please call back later. Goodbye.";
export const SILENCE_REMINDER = 'Are you still there?';
export const SILENCE_GOODBYE = "I haven't heard anything, so I'll end the call now. Goodbye.";
export const MAX_DURATION_GOODBYE = "We've reached the time limit for this call. Thank you for calling, goodbye.";
export const TRANSFER_FAILED = "I'm sorry, I couldn't connect you to a person right now. Can I take a message instead?";

/** The generic receptionist: answers when neither the database nor a known copy is available. */
export function genericReceptionistConfig(voiceId: string = DEFAULT_VOICE_ID): AgentConfig {
  const epoch = new Date(0).toISOString();
  return {
    id: '00000000-0000-0000-0000-000000000000',
    owner_id: '00000000-0000-0000-0000-000000000000',
    version: 0,
    created_at: epoch,
    updated_at: epoch,
    name: 'Generic receptionist',
    voice_id: voiceId,
    system_prompt: GENERIC_RECEPTIONIST_PROMPT,
    greeting: 'Hello, thanks for calling. How can I help you?',
    llm_model: DEFAULT_LLM_MODEL,
    stt_language: DEFAULT_STT_LANGUAGE,
    max_call_duration_ms: DEFAULT_MAX_CALL_DURATION_MS,
    silence_timeout_ms: DEFAULT_SILENCE_TIMEOUT_MS,
    transfer_number: null,
    take_messages: true,
    post_call_analysis: true,
  };
}
