// What the tools' requests do to the call (call_tools.ts declares them): hang up after the
// goodbye, transfer after "connecting you now", or file a message. A refused transfer is told to
// the caller and the call goes on, so they can leave a message instead. A message goes through
// the call's durable write queue (the caller never waits on the database): the tool waits at most
// messageWaitMs to hear that the queue took it, and a message the queue cannot keep is a tool
// error the agent can tell the caller about, never a silent drop.
import { createHash } from 'node:crypto';
import { llm, type voice } from '@livekit/agents';
import type { AgentConfig } from '../../shared/agent_config.ts';
import { errorMessage } from '../../shared/errors.ts';
import type { CallControls } from './call_controls.ts';
import type { EndableCall } from './call_lifecycle.ts';
import type { CallLogger as Logger } from './call_logger.ts';
import type { CallRecord } from './call_record.ts';
import type { CallMessageRow } from '../store/call_outcomes.ts';
import type { CallStore } from '../store/call_store.ts';
import type { DurableWrites } from '../store/durable_writes.ts';
import { settledWithin } from './call_record_writer.ts';
import type { CallActions } from './call_tools.ts';
import { TRANSFER_FAILED } from './fallback.ts';
import type { MessageFiled } from './take_message.ts';

/** How long take_message waits to hear the queue took its message, in ms. */
export const DEFAULT_MESSAGE_WAIT_MS = 500;
const MESSAGE_NOT_KEPT =
  'The message could not be saved because of a technical problem. Apologize, and ask the caller to call back later.';

/** Where messages are filed. */
export interface MessageFiling {
  store: CallStore;
  writes: DurableWrites;
  /** The id the call's writes are keyed by (picked before any write). */
  callKey: string;
  /** The calls row id to file under, read when the write runs. */
  rowId: () => string;
  /** The caller ID, the default callback number. */
  callerNumber: string | null;
  /** Default DEFAULT_MESSAGE_WAIT_MS. */
  waitMs?: number;
}

export interface CallActionsOptions {
  call: EndableCall;
  /** The config in effect now (hot reload replaces it). */
  currentConfig: () => AgentConfig;
  session: voice.AgentSession;
  controls: CallControls;
  record: Pick<CallRecord, 'transferFailed'>;
  log: Logger;
  messages: MessageFiling;
}

export function callActions(options: CallActionsOptions): CallActions {
  return {
    endAfterReply: (handle) => handle.addDoneCallback(() => void options.call.end('agent_hangup')),
    transferAfterReply: (handle) => handle.addDoneCallback(() => void transfer(options)),
    transferNumber: () => options.currentConfig().transfer_number,
    callerNumber: () => options.messages.callerNumber,
    takeMessage: messageTaker(options.messages, options.log),
  };
}

/** Files each message once per text; the same text with other details replaces it (a correction). */
function messageTaker(filing: MessageFiling, log: Logger): (message: CallMessageRow) => Promise<MessageFiled> {
  const filed = new Map<string, string>();
  return async (message) => {
    const previous = filed.get(message.body);
    const current = JSON.stringify(message);
    if (previous === current) return 'unchanged';
    const bodyKey = createHash('sha256').update(message.body).digest('hex').slice(0, 32);
    const written = filing.writes.enqueue({
      key: `message:${filing.callKey}:${bodyKey}`,
      what: 'message',
      apply: async () => {
        await filing.store.recordMessage(filing.rowId(), message);
      },
    });
    const outcome = await settledWithin(written, filing.waitMs ?? DEFAULT_MESSAGE_WAIT_MS);
    if (outcome.kind === 'refused') {
      log.error({ err: errorMessage(outcome.error) }, 'could not file a message');
      throw new llm.ToolError(MESSAGE_NOT_KEPT);
    }
    if (outcome.kind === 'late') {
      written.catch((error: unknown) =>
        log.error({ err: errorMessage(error) }, 'a queued message was refused by the database'),
      );
    }
    filed.set(message.body, current);
    return previous === undefined ? 'saved' : 'updated';
  };
}

async function transfer(options: CallActionsOptions): Promise<void> {
  const { call, log } = options;
  // The number may have been removed while the reply played, or the call ended meanwhile.
  const number = options.currentConfig().transfer_number;
  if (!number || call.ended) return;
  try {
    await options.controls.transfer(number);
    log.info({ 'pii.transfer_to': number }, 'call transferred');
    await call.end('transferred');
  } catch (error) {
    log.warn({ err: errorMessage(error) }, 'transfer failed; telling the caller');
    options.record.transferFailed(errorMessage(error));
    options.session.say(TRANSFER_FAILED);
  }
}
