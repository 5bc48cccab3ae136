// What the tools' requests do to the call (call_tools.ts declares them): hang up after the
// goodbye, or transfer after "connecting you now". A refused transfer is told to the caller and
// the call goes on, so they can leave a message instead.
import type { voice } from '@livekit/agents';
import type { AgentConfig } from '../../shared/agent_config.ts';
import { errorMessage } from '../../shared/errors.ts';
import type { CallControls } from './call_controls.ts';
import type { EndableCall } from './call_lifecycle.ts';
import type { CallLogger as Logger } from './call_logger.ts';
import type { CallRecord } from './call_record.ts';
import type { CallActions } from './call_tools.ts';
import { TRANSFER_FAILED } from './fallback.ts';

export interface CallActionsOptions {
  call: EndableCall;
  /** The config in effect now (hot reload replaces it). */
  currentConfig: () => AgentConfig;
  session: voice.AgentSession;
  controls: CallControls;
  record: Pick<CallRecord, 'transferFailed'>;
  log: Logger;
}

export function callActions(options: CallActionsOptions): CallActions {
  return {
    endAfterReply: (handle) => handle.addDoneCallback(() => void options.call.end('agent_hangup')),
    transferAfterReply: (handle) => handle.addDoneCallback(() => void transfer(options)),
    transferNumber: () => options.currentConfig().transfer_number,
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
