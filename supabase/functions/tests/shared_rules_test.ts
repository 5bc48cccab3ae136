// shared/ runs unchanged under Deno: the same voice-ID and phone rules the database enforces.
import assert from 'node:assert/strict';
import { voiceIdProblem, repairVoiceId } from '../../../shared/voice_id.ts';
import { toE164 } from '../../../shared/phone.ts';

Deno.test('voice-ID rule refuses names and prefixes under Deno', () => {
  assert.equal(voiceIdProblem('21m00Tcm4TlvDq8ikWAM'), null);
  assert.match(voiceIdProblem('11labs-Kate') ?? '', /provider prefix/);
  assert.match(voiceIdProblem('Rachel') ?? '', /6 characters long/);
  assert.equal(
    repairVoiceId('11labs-rachel', [{ voice_id: '21m00Tcm4TlvDq8ikWAM', name: 'Rachel', enabled: true }]),
    '21m00Tcm4TlvDq8ikWAM',
  );
});

Deno.test('phone numbers normalize to E.164 under Deno', () => {
  assert.equal(toE164('(555) 123-4567'), '+15551234567');
  assert.equal(toE164('not a number'), null);
});
