// The system prompt the LLM sees: the owner's prompt plus what every phone call needs (the
// caller's number, how to speak on a phone line, when to use the tools). Rebuilt on every
// config change so a prompt edit applies from the next turn.
import type { AgentConfig } from '../../shared/agent_config.ts';
import { E164_PATTERN } from '../../shared/phone.ts';

export interface CallerContext {
  /** The caller's number as LiveKit reported it (E.164 when known); null when hidden. */
  callerNumber: string | null;
  /** The number the caller dialed. */
  dialedNumber: string | null;
}

export function buildInstructions(
  config: Pick<AgentConfig, 'system_prompt' | 'transfer_number' | 'take_messages'>,
  caller: CallerContext,
): string {
  const prompt = config.system_prompt.trim() || GENERIC_RECEPTIONIST_PROMPT;
  const lines: string[] = [
    prompt,
    '',
    '# Phone call',
    `- The caller's phone number is ${callerNumberForPrompt(caller.callerNumber)}. Use it if they ask for a callback or to confirm their number.`,
    '- You are speaking on a phone line: answer in short, plain spoken sentences, with no markdown, lists or emoji.',
    '- When the caller is done (for example they say goodbye), say a short goodbye and call the end_call tool.',
    config.transfer_number
      ? '- If the caller asks for a person, call the transfer_call tool; tell them you are connecting them.'
      : config.take_messages
        ? '- You cannot transfer calls to a person; offer to take a message instead.'
        : '- You cannot transfer calls to a person.',
  ];
  if (config.take_messages) {
    lines.push(
      "- To take a message, ask for the caller's name and what they want passed on, call the take_message tool, then read the callback number it gives back to the caller to confirm it.",
    );
  }
  return lines.join('\n');
}

/**
 * The caller's number as the prompt may show it. The SIP From user is whatever the caller's side
 * sent, so anything but a plain E.164 number (text, quotes, newlines: an injected instruction)
 * never reaches the prompt; the number is quoted so it reads as data.
 */
export function callerNumberForPrompt(callerNumber: string | null): string {
  return callerNumber !== null && E164_PATTERN.test(callerNumber) ? `"${callerNumber}"` : 'unknown';
}

export const GENERIC_RECEPTIONIST_PROMPT =
  'You are a friendly, concise receptionist answering the phone for a small business. Help callers, take messages, and keep answers short.';
