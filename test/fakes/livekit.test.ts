import {
  AccessToken,
  RoomAgentDispatch,
  RoomConfiguration,
  RoomServiceClient,
  SipCallError,
  SipClient,
  type TwirpError,
} from 'livekit-server-sdk';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { FakeLiveKit } from './livekit.ts';

let fake: FakeLiveKit;
let sip: SipClient;
beforeAll(async () => {
  fake = await FakeLiveKit.start();
  sip = new SipClient(fake.url, fake.apiKey, fake.apiSecret);
});
afterAll(() => fake?.close());
beforeEach(() => {
  fake.sip.trunks.clear();
  fake.sip.rules.clear();
  fake.clearFailures();
  fake.setLatency(0);
});

const agents = (agentName: string) => new RoomConfiguration({ agents: [new RoomAgentDispatch({ agentName })] });
const rejection = (p: Promise<unknown>) =>
  p.then(
    () => {
      throw new Error('expected a rejection');
    },
    (e: TwirpError) => e,
  );

describe('LiveKit fake, driven by livekit-server-sdk 2.19.2', () => {
  it('mints ST_/SDR_ ids and answers in snake_case with every field, which the SDK decodes', async () => {
    const trunk = await sip.createSipInboundTrunk('t', ['+15551230001'], { ringingTimeout: 30 });
    expect(trunk.sipTrunkId).toMatch(/^ST_\w{12}$/);
    expect(trunk.ringingTimeout?.seconds).toBe(30n);
    const rule = await sip.createSipDispatchRule(
      { type: 'individual', roomPrefix: 'call-' },
      { trunkIds: [trunk.sipTrunkId], roomConfig: agents('A') },
    );
    expect(rule.sipDispatchRuleId).toMatch(/^SDR_/);
    const raw = await fetch(`${fake.url}/twirp/livekit.SIP/ListSIPDispatchRule`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${await adminToken()}` },
      body: '{}',
    });
    expect(raw.headers.get('content-type')).toBe('application/json');
    const body = await raw.json();
    expect(body.items[0]).toMatchObject({
      sip_dispatch_rule_id: rule.sipDispatchRuleId,
      trunk_ids: [trunk.sipTrunkId],
      inbound_numbers: [],
      hide_phone_number: false,
      room_config: { agents: [{ agent_name: 'A' }] },
    });
  });

  it('refuses a trunk open to everyone, and a trunk id on create', async () => {
    const open = await rejection(sip.createSipInboundTrunk('open', []));
    expect([open.status, open.code]).toEqual([400, 'invalid_argument']);
    expect(open.message).toContain('one of the fields must be set');
    const res = await fetch(`${fake.url}/twirp/livekit.SIP/CreateSIPInboundTrunk`, {
      method: 'POST',
      headers: { authorization: `Bearer ${await adminToken()}` },
      body: JSON.stringify({ trunk: { sipTrunkId: 'ST_mine', numbers: ['+1555'] } }),
    });
    expect(await res.json()).toMatchObject({ code: 'invalid_argument', msg: 'trunk ID must be empty' });
  });

  it('refuses overlapping trunks and conflicting rules', async () => {
    await sip.createSipInboundTrunk('a', [], { allowedAddresses: ['1.2.3.4'] });
    expect((await rejection(sip.createSipInboundTrunk('b', [], { allowedAddresses: ['5.6.7.8'] }))).message).toMatch(
      /^Conflicting inbound SIP Trunks/,
    );
    await sip.createSipInboundTrunk('c', [], { allowedAddresses: ['5.6.7.8'], allowedNumbers: ['+15550000000'] });
    const [t] = await sip.listSipInboundTrunk();
    await sip.createSipDispatchRule({ type: 'individual', roomPrefix: 'x' }, { trunkIds: [t!.sipTrunkId] });
    const clash = await rejection(
      sip.createSipDispatchRule({ type: 'individual', roomPrefix: 'y' }, { trunkIds: [t!.sipTrunkId] }),
    );
    expect(clash.message).toMatch(
      /^Dispatch rule for the same trunk, inbound number, number, and PIN combination already exists/,
    );
    await sip.createSipDispatchRule(
      { type: 'individual', roomPrefix: 'z', pin: '1234' },
      { trunkIds: [t!.sipTrunkId] },
    );
  });

  it('replace clears omitted fields; update applies only what it names', async () => {
    const t = await sip.createSipInboundTrunk('t', [], { allowedAddresses: ['1.2.3.4'] });
    const rule = await sip.createSipDispatchRule(
      { type: 'individual', roomPrefix: 'call-' },
      { name: 'r', trunkIds: [t.sipTrunkId], roomConfig: agents('A'), attributes: { k: 'v', keep: '1' } },
    );
    const updated = await sip.updateSipDispatchRuleFields(rule.sipDispatchRuleId, {
      name: 'r2',
      attributes: { k: '' },
      trunkIds: { add: ['ST_other'] } as never /* a ListUpdate; @livekit/protocol is not a direct dependency */,
    });
    expect(updated.name).toBe('r2');
    expect(updated.attributes).toEqual({ keep: '1' });
    expect(updated.trunkIds).toEqual([t.sipTrunkId, 'ST_other']);
    expect(updated.roomConfig?.agents[0]?.agentName).toBe('A');
    const partial = rule.clone();
    partial.roomConfig = undefined;
    partial.trunkIds = [];
    const replaced = await sip.updateSipDispatchRule(rule.sipDispatchRuleId, partial);
    expect(replaced.roomConfig).toBeUndefined();
    expect(replaced.trunkIds).toEqual([]);
    expect(replaced.name).toBe('r');
  });

  it('answers not_found for unknown rules, and list filters include wildcards', async () => {
    expect((await rejection(sip.deleteSipDispatchRule('SDR_missing'))).code).toBe('not_found');
    expect(
      (
        await rejection(
          sip.updateSipInboundTrunk('ST_missing', (await sip.createSipInboundTrunk('t', ['+1555'])).clone()),
        )
      ).code,
    ).toBe('not_found');
    await sip.deleteSipTrunk('ST_missing'); // LiveKit accepts deleting an unknown trunk
    const specific = await sip.createSipDispatchRule({ type: 'individual', roomPrefix: 'a' }, { trunkIds: ['ST_1'] });
    const wildcard = await sip.createSipDispatchRule({ type: 'individual', roomPrefix: 'b' }, {});
    await sip.createSipDispatchRule({ type: 'individual', roomPrefix: 'c' }, { trunkIds: ['ST_2'] });
    const ids = (await sip.listSipDispatchRule({ trunkIds: ['ST_1'] })).map((r) => r.sipDispatchRuleId).sort();
    expect(ids).toEqual([specific.sipDispatchRuleId, wildcard.sipDispatchRuleId].sort());
    const byId = await sip.listSipDispatchRule({ dispatchRuleIds: ['SDR_gone', wildcard.sipDispatchRuleId] });
    expect(byId.map((r) => r.sipDispatchRuleId)).toEqual(['', wildcard.sipDispatchRuleId]);
  });

  it('rejects a bad signature with a plain-text 401 and a token without the grant with Twirp unauthenticated', async () => {
    const wrong = await rejection(
      new SipClient(fake.url, fake.apiKey, 'some-other-secret-of-enough-length').listSipInboundTrunk(),
    );
    expect([wrong.status, wrong.code]).toEqual([401, undefined]);
    expect(wrong.message).toMatch(/^invalid authorization token/);
    const roomOnly = new AccessToken(fake.apiKey, fake.apiSecret);
    roomOnly.addGrant({ roomList: true });
    const denied = await rejection(
      new SipClient(fake.url, undefined, undefined, { token: await roomOnly.toJwt() }).listSipInboundTrunk(),
    );
    expect([denied.status, denied.code, denied.message]).toEqual([401, 'unauthenticated', 'permissions denied']);
    const noAuth = await fetch(`${fake.url}/twirp/livekit.SIP/ListSIPInboundTrunk`, { method: 'POST', body: '{}' });
    expect(noAuth.status).toBe(401);
  });

  it('lets a test add latency, fail calls and see them overlap', async () => {
    fake.setLatency(100);
    const start = performance.now();
    await Promise.all([sip.listSipInboundTrunk(), sip.listSipDispatchRule()]);
    expect(performance.now() - start).toBeLessThan(190);
    fake.fail('ListSIPDispatchRule', { code: 'unavailable', msg: 'try later' });
    const failed = await rejection(sip.listSipDispatchRule());
    expect([failed.status, failed.code]).toEqual([503, 'unavailable']);
    expect(await sip.listSipDispatchRule()).toEqual([]);
    fake.fail('*', { kind: 'html' });
    expect((await rejection(sip.listSipInboundTrunk())).status).toBe(502);
  });

  it('serves call rooms and their SIP participants through RoomService', async () => {
    const rooms = new RoomServiceClient(fake.url, fake.apiKey, fake.apiSecret);
    const name = fake.addCall({ caller: '+15550001111', called: '+15551230001', callStatus: 'ringing' });
    const [p] = await rooms.listParticipants(name);
    expect(p!.attributes['sip.callStatus']).toBe('ringing');
    await rooms.deleteRoom(name);
    expect((await rejection(rooms.listParticipants(name))).code).toBe('not_found');
  });
});

describe('LiveKit fake: TransferSIPParticipant', () => {
  const CALLER = '+15550002222';
  const callRoom = () => fake.addCall({ caller: CALLER, called: '+15551230001', withAgent: true });
  /** A token as the worker holds one: sip.call plus roomAdmin on that room (livekit.md §6.5). */
  async function callerToken(room: string, grants: { roomAdmin?: boolean; call?: boolean } = {}): Promise<string> {
    const at = new AccessToken(fake.apiKey, fake.apiSecret);
    at.addGrant({ roomAdmin: grants.roomAdmin ?? true, room });
    at.addSIPGrant({ call: grants.call ?? true });
    return at.toJwt();
  }

  it('accepts a tel: transfer of the SIP caller, records it, and takes the caller out of the room', async () => {
    const room = callRoom();
    const sipCallId = (fake.rooms.get(room)!.participants[0]!.attributes as Record<string, string>)['sip.callID'];
    fake.transfers.length = 0;
    await sip.transferSipParticipant(room, `sip_${CALLER}`, 'tel:+15557770000', {
      playDialtone: true,
      ringingTimeout: 20,
    });
    expect(fake.transfers).toEqual([
      {
        room,
        participantIdentity: `sip_${CALLER}`,
        transferTo: 'tel:+15557770000',
        sipCallId,
        playDialtone: true,
        ringingTimeoutS: 20,
      },
    ]);
    const left = await new RoomServiceClient(fake.url, fake.apiKey, fake.apiSecret).listParticipants(room);
    expect(left.map((p) => p.identity)).not.toContain(`sip_${CALLER}`);
    expect(left).toHaveLength(1); // the agent; the room stays
  });

  it('accepts sip: URIs, bare or in angle brackets', async () => {
    for (const to of ['sip:frontdesk@pbx.example.com', '<sip:+15557770000@pbx.example.com>']) {
      await sip.transferSipParticipant(callRoom(), `sip_${CALLER}`, to);
      expect(fake.transfers.at(-1)?.transferTo).toBe(to);
    }
  });

  it('refuses what the server refuses: a non-URI target, an unknown room or participant, a participant with no SIP session', async () => {
    const room = callRoom();
    const bad = await rejection(sip.transferSipParticipant(room, `sip_${CALLER}`, '+15557770000'));
    expect([bad.status, bad.code, bad.message]).toEqual([
      400,
      'invalid_argument',
      'transfer_to must be a valid SIP or TEL URI (sip: or tel:)',
    ]);
    expect(
      (await rejection(sip.transferSipParticipant('no-such-room', `sip_${CALLER}`, 'tel:+15557770000'))).code,
    ).toBe('not_found');
    expect((await rejection(sip.transferSipParticipant(room, 'sip_+19999999999', 'tel:+15557770000'))).code).toBe(
      'not_found',
    );
    const agent = String(fake.rooms.get(room)!.participants[1]!.identity);
    const notSip = await rejection(sip.transferSipParticipant(room, agent, 'tel:+15557770000'));
    expect([notSip.code, notSip.message]).toEqual(['invalid_argument', 'no SIP session associated with participant']);
    expect(fake.rooms.get(room)!.participants).toHaveLength(2);
  });

  it('needs sip.call and roomAdmin for that room', async () => {
    const room = callRoom();
    const other = callRoom();
    for (const token of [
      await callerToken(room, { roomAdmin: false }),
      await callerToken(room, { call: false }),
      await callerToken(other),
    ]) {
      const client = new SipClient(fake.url, undefined, undefined, { token });
      const denied = await rejection(client.transferSipParticipant(room, `sip_${CALLER}`, 'tel:+15557770000'));
      expect([denied.status, denied.code]).toEqual([401, 'unauthenticated']);
    }
    await new SipClient(fake.url, undefined, undefined, { token: await callerToken(room) }).transferSipParticipant(
      room,
      `sip_${CALLER}`,
      'tel:+15557770000',
    );
    expect(fake.transfers.at(-1)?.room).toBe(room);
  });

  it('gives the SDK a SipCallError when the far end refuses (injected SIP status)', async () => {
    fake.fail('TransferSIPParticipant', {
      code: 'unavailable',
      msg: 'transfer failed',
      meta: { sip_status_code: '486', sip_status: 'Busy Here' },
    });
    const refused = await rejection(sip.transferSipParticipant(callRoom(), `sip_${CALLER}`, 'tel:+15557770000'));
    expect(refused).toBeInstanceOf(SipCallError);
    expect((refused as unknown as SipCallError).sipStatusCode).toBe(486);
  });
});

async function adminToken(): Promise<string> {
  const at = new AccessToken(fake.apiKey, fake.apiSecret);
  at.addSIPGrant({ admin: true });
  return at.toJwt();
}
