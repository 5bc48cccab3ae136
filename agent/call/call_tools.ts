// The tools the agent offers the LLM, and what each one asks of the call (CallActions, carried
// out by call_actions.ts). A tool is one entry in CALL_TOOLS: when the config offers it, and what
// it does. Hot reload asks again when the config changes, so a tool appears or goes mid-call.
import { llm, type voice } from '@livekit/agents';
import { z } from 'zod';
import type { AgentConfig } from '../../shared/agent_config.ts';
import { type MessageTaker, TAKE_MESSAGE_TOOL, takeMessageTool } from './take_message.ts';

/** What the tools may ask of the call. */
export interface CallActions extends MessageTaker {
  /** The caller is done: hang up once the reply being spoken (the goodbye) has played. */
  endAfterReply(handle: voice.SpeechHandle): void;
  /** Transfer once the reply being spoken ("connecting you now") has played. */
  transferAfterReply(handle: voice.SpeechHandle): void;
  /** The transfer number in effect right now, or null. */
  transferNumber(): string | null;
}

/** The parts of the config that decide which tools are offered. */
export type ToolsConfig = Pick<AgentConfig, 'transfer_number' | 'take_messages'>;

interface CallTool {
  name: string;
  offered(config: ToolsConfig): boolean;
  create(actions: CallActions): llm.ToolContextEntry;
}

export const END_CALL_TOOL = 'end_call';
export const TRANSFER_TOOL = 'transfer_call';

const endCall: CallTool = {
  name: END_CALL_TOOL,
  offered: () => true,
  create: (actions) =>
    llm.tool({
      name: END_CALL_TOOL,
      description:
        'End the phone call. Call it when the caller is clearly done (for example they say goodbye). ' +
        'Do not call it when they ask to hold or to be transferred, or when their intent is unclear.',
      execute: async (_args, { ctx }) => {
        actions.endAfterReply(ctx.speechHandle);
        return 'Say a short, friendly goodbye to the caller now. The call ends after it.';
      },
    }),
};

const transferCall: CallTool = {
  name: TRANSFER_TOOL,
  offered: (config) => config.transfer_number !== null,
  create: (actions) =>
    llm.tool({
      name: TRANSFER_TOOL,
      description:
        'Transfer the caller to a person. Call it when the caller asks for a human, an operator or a specific person.',
      parameters: z.object({ reason: z.string().describe('Why the caller wants a person, in a few words') }),
      execute: async (_args, { ctx }) => {
        // The number may have been removed since the tool was offered.
        if (!actions.transferNumber()) {
          throw new llm.ToolError('Nobody is available to take the call; offer to take a message.');
        }
        actions.transferAfterReply(ctx.speechHandle);
        return 'Tell the caller in one short sentence that you are connecting them to a person now.';
      },
    }),
};

const takeMessage: CallTool = {
  name: TAKE_MESSAGE_TOOL,
  offered: (config) => config.take_messages,
  create: (actions) => takeMessageTool(actions),
};

const CALL_TOOLS: readonly CallTool[] = [endCall, transferCall, takeMessage];

/** The names of the tools the config offers, in order. */
export function offeredToolNames(config: ToolsConfig): string[] {
  return CALL_TOOLS.filter((tool) => tool.offered(config)).map((tool) => tool.name);
}

export function callTools(actions: CallActions, config: ToolsConfig): llm.ToolContextEntry[] {
  return CALL_TOOLS.filter((tool) => tool.offered(config)).map((tool) => tool.create(actions));
}
