// What LiveKit tells us about a call: the SIP participant's attributes (livekit.md §3.6), read by
// agent/job.ts and handed to runCall.

export interface CallInfo {
  roomName: string;
  /** sip.callID (SCL_…) */
  callId: string | null;
  /** sip.trunkPhoneNumber: the number the caller dialed. */
  dialedNumber: string | null;
  /** sip.phoneNumber: the caller. */
  callerNumber: string | null;
  trunkId: string | null;
  dispatchRuleId: string | null;
}
