// Ending and transferring a call through the LiveKit server API. Hanging up means deleting the
// room: livekit-sip then sends BYE (shutting the session down alone leaves the caller in silence).
// A transfer is a cold SIP REFER to a tel: URI; on success the caller leaves the room.
import { RoomServiceClient, SipClient } from 'livekit-server-sdk';

export interface CallControls {
  /** Deletes the room so the caller hears the call end. Never throws. */
  hangUp(): Promise<void>;
  /** Transfers the caller to an E.164 number. Throws when the transfer fails. */
  transfer(e164: string): Promise<void>;
}

export interface LiveKitApi {
  /** ws(s):// or http(s):// URL of the LiveKit server. */
  url: string;
  apiKey: string;
  apiSecret: string;
}

export interface LiveKitCallControlsOptions {
  api: LiveKitApi;
  roomName: string;
  /** The SIP participant (the caller). */
  participantIdentity: string;
  onError?: (what: 'hang_up', error: unknown) => void;
}

/** How long a transfer may ring before we give up and tell the caller. */
export const TRANSFER_RINGING_TIMEOUT_S = 30;

export function liveKitCallControls(options: LiveKitCallControlsOptions): CallControls {
  const host = options.api.url.replace(/^ws(s?):\/\//, 'http$1://');
  const rooms = new RoomServiceClient(host, options.api.apiKey, options.api.apiSecret);
  const sip = new SipClient(host, options.api.apiKey, options.api.apiSecret);
  let hungUp: Promise<void> | undefined;
  return {
    hangUp() {
      hungUp ??= rooms.deleteRoom(options.roomName).catch((error: unknown) => options.onError?.('hang_up', error));
      return hungUp;
    },
    async transfer(e164) {
      await sip.transferSipParticipant(options.roomName, options.participantIdentity, `tel:${e164}`, {
        playDialtone: true,
        ringingTimeout: TRANSFER_RINGING_TIMEOUT_S,
      });
    },
  };
}
