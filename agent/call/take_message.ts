// The take_message tool: the caller leaves a message for the owner (their name, a callback number,
// what they want, whether it is urgent). The number defaults to the caller ID and is written in
// E.164; the tool answers with it, written to be read back, so the agent confirms it with the
// caller. Input the model can fix (an empty message, a number that cannot be called back, no
// number at all) is a ToolError saying what to ask the caller, never a crash or a silent drop.
// Calling it again with the same message is the same message: a new name, number or urgency
// replaces the earlier one (the caller corrected it), and nothing is filed twice. A different
// message is filed as another message. Filing is call_actions.ts's job (the durable queue).
import { llm } from '@livekit/agents';
import { parsePhoneNumberFromString } from 'libphonenumber-js';
import { z } from 'zod';
import { E164_PATTERN, toE164 } from '../../shared/phone.ts';
import type { CallMessageRow } from '../store/call_outcomes.ts';

export const TAKE_MESSAGE_TOOL = 'take_message';
/** The database's limits (public.messages). */
export const MAX_MESSAGE_CHARACTERS = 4_000;
export const MAX_CALLER_NAME_CHARACTERS = 200;

export const takeMessageArgsSchema = z.object({
  caller_name: z.string().describe("The caller's name as they gave it; an empty string if they would not say"),
  callback_number: z
    .string()
    .describe(
      'The number to call back, as the caller said it; an empty string to use the number they are calling from',
    ),
  message: z.string().describe('What the caller wants passed on, in their words, complete enough to act on'),
  urgent: z.boolean().describe('True only when the caller says it is urgent or an emergency'),
});
export type TakeMessageArgs = z.infer<typeof takeMessageArgsSchema>;

/** What filing a message did: a new message, a correction of the same one, or nothing new. */
export type MessageFiled = 'saved' | 'updated' | 'unchanged';

export interface MessageTaker {
  /** The caller ID (E.164 when known), the default callback number. */
  callerNumber(): string | null;
  /** Files the message; rejects with a ToolError when it cannot be kept. */
  takeMessage(message: CallMessageRow): Promise<MessageFiled>;
}

export function takeMessageTool(taker: MessageTaker): llm.ToolContextEntry {
  return llm.tool({
    name: TAKE_MESSAGE_TOOL,
    description:
      'Take a message for the business when the caller wants to leave one or asks to be called back. ' +
      'First ask for their name and what the message is; the callback number defaults to the number they are calling from. ' +
      'Then read the callback number in the answer back to the caller. If they correct anything, call it again with the same message and the corrected details.',
    parameters: takeMessageArgsSchema,
    execute: async (args) => {
      const message = messageFrom(args, taker.callerNumber());
      const filed = await taker.takeMessage(message);
      return toolAnswer(message, filed);
    },
  });
}

/** The row to file, or a ToolError telling the model what to ask the caller. */
export function messageFrom(args: TakeMessageArgs, callerNumber: string | null): CallMessageRow {
  const body = args.message.trim();
  if (!body)
    throw new llm.ToolError(
      'The message is empty. Ask the caller what they would like to pass on, then call take_message again.',
    );
  if (body.length > MAX_MESSAGE_CHARACTERS) {
    throw new llm.ToolError(
      `The message is too long. Sum it up in under ${MAX_MESSAGE_CHARACTERS} characters and call take_message again.`,
    );
  }
  return {
    caller_name: args.caller_name.trim().slice(0, MAX_CALLER_NAME_CHARACTERS),
    callback_number: callbackNumber(args.callback_number, callerNumber),
    body,
    urgent: args.urgent,
  };
}

function callbackNumber(said: string, callerNumber: string | null): string {
  if (!said.trim()) {
    if (callerNumber !== null && E164_PATTERN.test(callerNumber)) return callerNumber;
    throw new llm.ToolError(
      "The caller's number is unknown. Ask them for a callback number with the area code, then call take_message again.",
    );
  }
  const e164 = toE164(said);
  if (e164 === null || !parsePhoneNumberFromString(e164)?.isPossible()) {
    throw new llm.ToolError(
      `"${said.slice(0, 40)}" is not a phone number that can be called back. Ask the caller to say their number again, with the area code, then call take_message again.`,
    );
  }
  return e164;
}

function toolAnswer(message: CallMessageRow, filed: MessageFiled): string {
  const number = message.callback_number!;
  const spoken = parsePhoneNumberFromString(number)?.formatInternational() ?? number;
  const what =
    filed === 'updated'
      ? 'Message updated'
      : filed === 'unchanged'
        ? 'This message was already saved; nothing changed'
        : 'Message saved';
  return `${what}. Callback number: ${number}. Read it back to the caller digit by digit (${spoken}) and ask them to confirm it.`;
}
