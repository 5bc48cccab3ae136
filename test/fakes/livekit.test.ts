import { AccessToken, RoomAgentDispatch, RoomConfiguration, RoomServiceClient, SipClient, TwirpError } from 'livekit-server-sdk';
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
const rejection = (p: Promise<unknown>) => p.then(() => { throw new Error('expected a rejection'); }, (e: TwirpError) => e);

describe('LiveKit fake, driven by livekit-server-sdk 2.19.2', () => {
  it('mints ST_/SDR_ ids and answers in snake_case with every field, which the SDK decodes', async () => {
    const trunk = await sip.createSipInboundTrunk('t', ['+15551230001'], { ringingTimeout: 30 });
    expect(trunk.sipTrunkId).toMatch(/^ST_\w{12}$/);
    expect(trunk.ringingTimeout?.seconds).toBe(30n);
    const rule = await sip.createSipDispatchRule({ type: 'individual', roomPrefix: 'call-' }, { trunkIds: [trunk.sipTrunkId], roomConfig: agents('A') });
    expect(rule.sipDispatchRuleId).toMatch(/^SDR_/);
    const raw = await fetch(`${fake.url}/twirp/livekit.SIP/ListSIPDispatchRule`, {
      method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${await adminToken()}` }, body: '{}',
    });
    expect(raw.headers.get('content-type')).toBe('application/json');
    const body = await raw.json();
    expect(body.items[0]).toMatchObject({ sip_dispatch_rule_id: rule.sipDispatchRuleId, trunk_ids: [trunk.sipTrunkId], inbound_numbers: [], hide_phone_number: false, room_config: { agents: [{ agent_name: 'A' }] } });
  });

  it('refuses a trunk open to everyone, and a trunk id on create', async () => {
    const open = await rejection(sip.createSipInboundTrunk('open', []));
    expect([open.status, open.code]).toEqual([400, 'invalid_argument']);
    expect(open.message).toContain('one of the fields must be set');
    const res = await fetch(`${fake.url}/twirp/livekit.SIP/CreateSIPInboundTrunk`, {
      method: 'POST', headers: { authorization: `Bearer ${await adminToken()}` }, body: JSON.stringify({ trunk: { sipTrunkId: 'ST_mine', numbers: ['+1555'] } }),
    });
    expect(await res.json()).toMatchObject({ code: 'invalid_argument', msg: 'trunk ID must be empty' });
  });

  it('refuses overlapping trunks and conflicting rules', async () => {
    await sip.createSipInboundTrunk('a', [], { allowedAddresses: ['1.2.3.4'] });
    expect((await rejection(sip.createSipInboundTrunk('b', [], { allowedAddresses: ['5.6.7.8'] }))).message).toMatch(/^Conflicting inbound SIP Trunks/);
    await sip.createSipInboundTrunk('c', [], { allowedAddresses: ['5.6.7.8'], allowedNumbers: ['+15550000000'] });
    const [t] = await sip.listSipInboundTrunk();
    await sip.createSipDispatchRule({ type: 'individual', roomPrefix: 'x' }, { trunkIds: [t!.sipTrunkId] });
    const clash = await rejection(sip.createSipDispatchRule({ type: 'individual', roomPrefix: 'y' }, { trunkIds: [t!.sipTrunkId] }));
    expect(clash.message).toMatch(/^Dispatch rule for the same trunk, inbound number, number, and PIN combination already exists/);
    await sip.createSipDispatchRule({ type: 'individual', roomPrefix: 'z', pin: '1234' }, { trunkIds: [t!.sipTrunkId] });
  });

  it('replace clears omitted fields; update applies only what it names', async () => {
    const t = await sip.createSipInboundTrunk('t', [], { allowedAddresses: ['1.2.3.4'] });
    const rule = await sip.createSipDispatchRule({ type: 'individual', roomPrefix: 'call-' }, { name: 'r', trunkIds: [t.sipTrunkId], roomConfig: agents('A'), attributes: { k: 'v', keep: '1' } });
    const updated = await sip.updateSipDispatchRuleFields(rule.sipDispatchRuleId, { name: 'r2', attributes: { k: '' }, trunkIds: { add: ['ST_other'] } as never /* a ListUpdate; @livekit/protocol is not a direct dependency */ });
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
    expect((await rejection(sip.updateSipInboundTrunk('ST_missing', (await sip.createSipInboundTrunk('t', ['+1555'])).clone()))).code).toBe('not_found');
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
    const wrong = await rejection(new SipClient(fake.url, fake.apiKey, 'some-other-secret-of-enough-length').listSipInboundTrunk());
    expect([wrong.status, wrong.code]).toEqual([401, undefined]);
    expect(wrong.message).toMatch(/^invalid authorization token/);
    const roomOnly = new AccessToken(fake.apiKey, fake.apiSecret);
    roomOnly.addGrant({ roomList: true });
    const denied = await rejection(new SipClient(fake.url, undefined, undefined, { token: await roomOnly.toJwt() }).listSipInboundTrunk());
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

async function adminToken(): Promise<string> {
  const at = new AccessToken(fake.apiKey, fake.apiSecret);
  at.addSIPGrant({ admin: true });
  return at.toJwt();
}
