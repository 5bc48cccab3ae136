import { readdirSync } from 'node:fs';
import path from 'node:path';
import { RoomAgentDispatch, RoomConfiguration } from 'livekit-server-sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { comparable, parseBackup } from '../../shared/sip/backup.ts';
import type { SipReport } from '../../shared/sip/report.ts';
import { NUMBER, startSipWorld, type SipWorld } from './test_support.ts';
import { readFile } from 'node:fs/promises';

let world: SipWorld;
beforeAll(async () => {
  world = await startSipWorld();
});
afterAll(() => world?.close());

const MUTATIONS = new Set([
  'CreateSIPInboundTrunk',
  'UpdateSIPInboundTrunk',
  'DeleteSIPTrunk',
  'CreateSIPDispatchRule',
  'UpdateSIPDispatchRule',
  'DeleteSIPDispatchRule',
]);
const mutationsSince = (start: number) =>
  world.livekit.requests
    .slice(start)
    .filter((r) => MUTATIONS.has(r.method))
    .map((r) => r.method);

async function doctorJson(): Promise<{ code: number; report: SipReport }> {
  const { code, stdout } = await world.run(['doctor', '--json']);
  return { code, report: JSON.parse(stdout) as SipReport };
}

describe('npm run sip (against the LiveKit fake and a real database)', () => {
  it('doctor on an empty project fails with trunk_missing and exit code 2', async () => {
    const { code, report } = await doctorJson();
    expect(code).toBe(2);
    expect(report.findings.map((f) => f.code)).toEqual(['trunk_missing']);
  });

  it('apply on an empty project builds a setup the doctor passes', async () => {
    const plan = await world.run(['plan']);
    expect(plan.code).toBe(0);
    expect(plan.stdout).toContain('+ create trunk "Switchboard inbound (SignalWire)"');
    expect(plan.stdout).toContain('+ create dispatch rule "Switchboard calls"');

    const apply = await world.run(['apply']);
    expect(apply.code).toBe(0);
    expect(apply.stdout).toMatch(/Backed up the previous setup to .*before-apply\.json/);

    const [trunk] = await world.sip.listSipInboundTrunk();
    const [rule] = await world.sip.listSipDispatchRule();
    expect(trunk!.toJson()).toMatchObject({
      name: 'Switchboard inbound (SignalWire)',
      allowedAddresses: ['203.0.113.0/24'],
      ringingTimeout: '30s',
      krispEnabled: true,
    });
    expect(rule!.toJson()).toMatchObject({
      trunkIds: [trunk!.sipTrunkId],
      rule: { dispatchRuleIndividual: { roomPrefix: 'call-' } },
      roomConfig: { agents: [{ agentName: 'SW Telephony Agent' }] },
    });

    const { code, report } = await doctorJson();
    expect(report.findings).toEqual([]);
    expect(code).toBe(0);
    const text = await world.run(['doctor']);
    expect(text.stdout).toContain('[ok  ] Dispatch rule');
    expect(text.stdout).toContain('All clear');
  });

  it('a second apply changes nothing', async () => {
    const start = world.livekit.requests.length;
    const again = await world.run(['apply']);
    expect(again.code).toBe(0);
    expect(again.stdout).toContain('No changes');
    expect(mutationsSince(start)).toEqual([]);
  });

  it('plan after a dashboard edit shows exactly that edit, and apply reverts it without losing other fields', async () => {
    const [rule] = await world.sip.listSipDispatchRule();
    const edited = rule!.clone();
    edited.hidePhoneNumber = true; // the dashboard's "hide phone number" toggle
    edited.metadata = 'note from the dashboard'; // a field Switchboard does not manage
    await world.sip.updateSipDispatchRule(rule!.sipDispatchRuleId, edited);

    const plan = await world.run(['plan', '--json']);
    expect(JSON.parse(plan.stdout).actions).toEqual([
      {
        kind: 'update_rule',
        id: rule!.sipDispatchRuleId,
        label: `${rule!.sipDispatchRuleId} "Switchboard calls"`,
        adopted: false,
        changes: [{ field: 'hidePhoneNumber', from: true, to: false }],
      },
    ]);
    expect((await world.run(['plan'])).stdout).toBe(
      `~ update dispatch rule ${rule!.sipDispatchRuleId} "Switchboard calls"\n    hidePhoneNumber: true -> false`,
    );

    expect((await world.run(['apply'])).code).toBe(0);
    const [after] = await world.sip.listSipDispatchRule();
    expect(after!.hidePhoneNumber).toBe(false);
    expect(after!.metadata).toBe('note from the dashboard');
    expect((await world.run(['plan'])).stdout).toContain('No changes');
  });

  it('plan shows an agent rename made in the dashboard, and apply puts the shared name back', async () => {
    const [rule] = await world.sip.listSipDispatchRule();
    const edited = rule!.clone();
    edited.roomConfig!.agents[0]!.agentName = 'SW Telephony Agent ';
    await world.sip.updateSipDispatchRule(rule!.sipDispatchRuleId, edited);
    expect((await doctorJson()).report.findings.map((f) => f.code)).toEqual(['rule_agent_name_mismatch']);
    const plan = JSON.parse((await world.run(['plan', '--json'])).stdout);
    expect(plan.actions[0].changes).toEqual([
      {
        field: 'roomConfig',
        from: [{ agentName: 'SW Telephony Agent ', metadata: '' }],
        to: [{ agentName: 'SW Telephony Agent', metadata: '' }],
      },
    ]);
    await world.run(['apply']);
    expect((await doctorJson()).code).toBe(0);
  });

  it('restore recreates a deleted dispatch rule exactly as it was (new id, all else identical)', async () => {
    const backup = await world.run(['backup']);
    expect(backup.code).toBe(0);
    const file = /to (\S+\.json)\./.exec(backup.stdout)![1]!;
    const saved = parseBackup(JSON.parse(await readFile(file, 'utf8')), file);
    const [rule] = await world.sip.listSipDispatchRule();

    await world.sip.deleteSipDispatchRule(rule!.sipDispatchRuleId);
    const broken = await doctorJson();
    expect(broken.code).toBe(2);
    expect(broken.report.findings.map((f) => f.code)).toEqual(['rule_missing']);

    const restore = await world.run(['restore', file]);
    expect(restore.code).toBe(0);
    expect(restore.stdout).toContain(`+ recreate ${rule!.sipDispatchRuleId} as SDR_`);
    const [restored] = await world.sip.listSipDispatchRule();
    expect(restored!.sipDispatchRuleId).not.toBe(rule!.sipDispatchRuleId);
    expect(comparable(restored!.toJson() as Record<string, unknown>)).toBe(comparable(saved.rules[0]!));
    expect((await doctorJson()).code).toBe(0);
    expect((await world.run(['restore', file])).stdout).toContain('Nothing to restore');
  });

  it('restore brings back a deleted trunk and its rule, re-pointed at the new trunk id', async () => {
    const file = /to (\S+\.json)\./.exec((await world.run(['backup'])).stdout)![1]!;
    const saved = parseBackup(JSON.parse(await readFile(file, 'utf8')), file);
    const [rule] = await world.sip.listSipDispatchRule();
    const [trunk] = await world.sip.listSipInboundTrunk();
    await world.sip.deleteSipDispatchRule(rule!.sipDispatchRuleId);
    await world.sip.deleteSipTrunk(trunk!.sipTrunkId);

    const dry = await world.run(['restore', file, '--dry-run']);
    expect(dry.stdout).toContain(`would recreate ${trunk!.sipTrunkId}`);
    expect(await world.sip.listSipInboundTrunk()).toEqual([]);

    expect((await world.run(['restore', file])).code).toBe(0);
    const [newTrunk] = await world.sip.listSipInboundTrunk();
    const [newRule] = await world.sip.listSipDispatchRule();
    expect(comparable(newTrunk!.toJson() as Record<string, unknown>)).toBe(comparable(saved.trunks[0]!));
    expect(newRule!.trunkIds).toEqual([newTrunk!.sipTrunkId]);
    expect((await doctorJson()).code).toBe(0);
  });

  it('keeps unmanaged rules unless --prune, which deletes them after a backup', async () => {
    await world.sip.createSipDispatchRule(
      { type: 'individual', roomPrefix: 'scan-' },
      {
        name: 'catch-all',
        roomConfig: new RoomConfiguration({ agents: [new RoomAgentDispatch({ agentName: 'SW Telephony Agent' })] }),
      },
    );
    const doctor = await doctorJson();
    expect(doctor.code).toBe(1);
    expect(doctor.report.findings.map((f) => f.code)).toEqual(['rule_wildcard', 'rule_room_prefix_changed']);

    expect((await world.run(['plan'])).stdout).toMatch(
      /keep unmanaged dispatch rule SDR_\w+ "catch-all" \(--prune deletes it\)/,
    );
    await world.run(['apply']);
    expect(await world.sip.listSipDispatchRule()).toHaveLength(2);
    const before = readdirSync(world.backupDir).length;
    const pruned = await world.run(['apply', '--prune']);
    expect(pruned.stdout).toMatch(/- delete dispatch rule SDR_\w+ "catch-all"/);
    expect(readdirSync(world.backupDir).length).toBe(before + 1);
    expect((await world.sip.listSipDispatchRule()).map((r) => r.name)).toEqual(['Switchboard calls']);
  });

  it('doctor --snapshot diagnoses a saved snapshot offline', async () => {
    const out = path.join(world.backupDir, 'snap.json');
    world.worker.agentName = 'Receptionist';
    const saved = await world.run(['snapshot', '--out', out]);
    expect(saved.stdout).toContain(`Saved snapshot to ${out}`);
    world.worker.agentName = 'SW Telephony Agent';
    const offline = await world.run(['doctor', '--json', '--snapshot', out], {
      LIVEKIT_URL: undefined,
      DATABASE_URL: undefined,
    });
    expect(offline.code).toBe(2);
    expect(JSON.parse(offline.stdout).findings.map((f: { code: string }) => f.code)).toEqual(['worker_name_mismatch']);
    expect(await readFile(out, 'utf8')).toContain(NUMBER);
  });

  it('rooms lists call rooms with their SIP caller, status and age, masking caller numbers', async () => {
    world.livekit.addCall({ caller: '+15559876543', called: NUMBER, callStatus: 'ringing', ageMs: 40_000 });
    world.livekit.addCall({
      caller: '+15551112222',
      called: NUMBER,
      callStatus: 'active',
      ageMs: 125_000,
      withAgent: true,
    });
    const { code, stdout } = await world.run(['rooms']);
    expect(code).toBe(0);
    expect(stdout).toContain('2 active call room(s)');
    expect(stdout).toMatch(
      /call-_…2222_\w+ {2}age 2m0[5-9]s {2}active {2}caller …2222 -> \+15551230001 {2}agent joined/,
    );
    expect(stdout).toMatch(/age 4\ds {2}ringing {2}caller …6543 .* agent none .*ringing with no agent/);
    expect(stdout).not.toContain('9876543');
    const json = JSON.parse((await world.run(['rooms', '--json', '--show-numbers'])).stdout);
    expect(json[0].participants[0]).toMatchObject({ caller: '+15551112222', dialed: NUMBER, callStatus: 'active' });
  });
});
