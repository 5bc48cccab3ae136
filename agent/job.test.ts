import { describe, expect, it } from 'vitest';
import { callInfoFrom } from './job.ts';

describe('callInfoFrom', () => {
  it('reads the dialed number, the caller and the call id from the SIP participant attributes', () => {
    const info = callInfoFrom('call-_+15559870000_AbCd', {
      'sip.callID': 'SCL_abc',
      'sip.trunkPhoneNumber': '+15551230000',
      'sip.phoneNumber': '+15559870000',
      'sip.trunkID': 'ST_1',
      'sip.ruleID': 'SDR_1',
      'sip.callStatus': 'active',
    });
    expect(info).toEqual({
      roomName: 'call-_+15559870000_AbCd',
      callId: 'SCL_abc',
      dialedNumber: '+15551230000',
      callerNumber: '+15559870000',
      trunkId: 'ST_1',
      dispatchRuleId: 'SDR_1',
    });
  });

  it('treats hidden numbers and the empty trunk id of a wildcard match as unknown', () => {
    const info = callInfoFrom('r', { 'sip.callID': 'SCL_x', 'sip.trunkID': '' });
    expect(info).toMatchObject({ dialedNumber: null, callerNumber: null, trunkId: null, dispatchRuleId: null });
  });
});
