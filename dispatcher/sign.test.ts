import { randomBytes } from 'node:crypto';
import { Webhook } from 'standardwebhooks';
import { describe, expect, it } from 'vitest';
import { signedHeaders } from './sign.ts';

const newSecret = () => `whsec_${randomBytes(32).toString('base64')}`;
const body = JSON.stringify({
  type: 'call.started',
  version: 1,
  id: 'e1',
  created_at: '2026-11-28T10:00:00.000Z',
  data: {},
});

describe('signedHeaders', () => {
  it('produces headers the standardwebhooks library verifies, with the timestamp in seconds', () => {
    const secret = newSecret();
    const at = new Date();
    const headers = { ...signedHeaders('msg_1', body, [secret], at) };
    expect(headers['webhook-id']).toBe('msg_1');
    expect(headers['webhook-timestamp']).toBe(String(Math.floor(at.getTime() / 1000)));
    expect(headers['webhook-signature']).toMatch(/^v1,[A-Za-z0-9+/]{43}=$/);
    expect(new Webhook(secret).verify(body, headers)).toEqual(JSON.parse(body));
  });

  it('signs with the new and the previous secret during a rotation, so either verifies', () => {
    const [current, previous] = [newSecret(), newSecret()];
    const headers = { ...signedHeaders('msg_2', body, [current, previous], new Date()) };
    expect(headers['webhook-signature'].split(' ')).toHaveLength(2);
    expect(new Webhook(current).verify(body, headers)).toBeTruthy();
    expect(new Webhook(previous).verify(body, headers)).toBeTruthy();
    expect(() => new Webhook(newSecret()).verify(body, headers)).toThrow('No matching signature found');
  });

  it('a changed body no longer verifies', () => {
    const secret = newSecret();
    const headers = { ...signedHeaders('msg_3', body, [secret], new Date()) };
    expect(() => new Webhook(secret).verify(body.replace('call.started', 'call.ended'), headers)).toThrow(
      'No matching signature found',
    );
  });
});
