// A SIP caller in a fresh room on the LiveKit fake, plus the real call controls for that room
// (livekit-server-sdk against the fake), so tests see hang-ups and transfers as LiveKit would.
import type { FakeLiveKit } from '../../test/fakes/livekit.ts';
import { type CallControls, liveKitCallControls } from '../call/call_controls.ts';
import type { CallInfo } from '../call/run_call.ts';

export const TEST_CALLER = '+15559870000';

export interface FakeLiveKitCall {
  roomName: string;
  info: CallInfo;
  controls: CallControls;
}

export interface FakeLiveKitCallOptions {
  /** Default TEST_CALLER. */
  caller?: string;
  /** Also put an agent participant in the room. Default false. */
  withAgent?: boolean;
}

export function fakeLiveKitCall(
  livekit: FakeLiveKit,
  dialed: string,
  options: FakeLiveKitCallOptions = {},
): FakeLiveKitCall {
  const caller = options.caller ?? TEST_CALLER;
  const roomName = livekit.addCall({
    caller,
    called: dialed,
    trunkId: 'ST_1',
    ruleId: 'SDR_1',
    withAgent: options.withAgent ?? false,
  });
  const info: CallInfo = {
    roomName,
    callId: `SCL_${crypto.randomUUID()}`,
    dialedNumber: dialed,
    callerNumber: caller,
    trunkId: 'ST_1',
    dispatchRuleId: 'SDR_1',
  };
  const controls = liveKitCallControls({
    api: { url: livekit.url, apiKey: livekit.apiKey, apiSecret: livekit.apiSecret },
    roomName,
    participantIdentity: `sip_${caller}`,
  });
  return { roomName, info, controls };
}
