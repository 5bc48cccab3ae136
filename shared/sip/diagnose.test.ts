import { describe, expect, it } from 'vitest';
import { DEFAULT_AGENT_NAME } from '../agent_name.ts';
import { diagnose } from './diagnose/index.ts';
import { FINDING_CODES, type FindingCode } from './findings.ts';
import { buildReport, renderReport } from './report.ts';
import type { DispatchRule, InboundTrunk, SipSnapshot } from './types.ts';

const NUMBER = '+15551230001';
const TRUNK: InboundTrunk = {
  sipTrunkId: 'ST_main',
  name: 'Switchboard inbound (SignalWire)',
  allowedAddresses: ['203.0.113.0/24'],
  krispEnabled: true,
  ringingTimeout: '30s',
};
const RULE: DispatchRule = {
  sipDispatchRuleId: 'SDR_main',
  name: 'Switchboard calls',
  rule: { dispatchRuleIndividual: { roomPrefix: 'call-' } },
  trunkIds: ['ST_main'],
  roomConfig: { agents: [{ agentName: DEFAULT_AGENT_NAME }] },
};

function healthy(): SipSnapshot {
  return structuredClone({
    version: 1,
    takenAt: '2026-11-25T12:00:00.000Z',
    expectedAgentName: DEFAULT_AGENT_NAME,
    desired: { trunkName: TRUNK.name!, ruleName: RULE.name!, roomPrefix: 'call-' },
    livekit: { status: 'ok', trunks: [TRUNK], rules: [RULE] },
    database: {
      status: 'ok',
      phoneNumbers: [{ e164: NUMBER, agent_config_id: '6f1c0c2e-0000-4000-8000-000000000001', label: 'Main line' }],
      configIssues: [],
    },
    worker: {
      status: 'ok',
      url: 'http://127.0.0.1:8081',
      health: { httpStatus: 200, body: 'OK' },
      info: { agent_name: DEFAULT_AGENT_NAME },
    },
    providerKeys: { ELEVEN_API_KEY: true, DEEPGRAM_API_KEY: true, OPENAI_API_KEY: true },
  } satisfies SipSnapshot);
}

type Mutation = (s: SipSnapshot) => void;
const lk = (s: SipSnapshot) => {
  if (s.livekit.status !== 'ok') throw new Error('livekit part is unknown');
  return s.livekit;
};
const trunk = (s: SipSnapshot) => lk(s).trunks[0]!;
const rule = (s: SipSnapshot) => lk(s).rules[0]!;
const db = (s: SipSnapshot) => {
  if (s.database.status !== 'ok') throw new Error('database part is unknown');
  return s.database;
};
const worker = (s: SipSnapshot) => {
  if (s.worker.status !== 'ok') throw new Error('worker part is unknown');
  return s.worker;
};

/** For every code: a scenario that raises it, and the operator's fix that clears it. */
const SCENARIOS: Record<FindingCode, { broken: Mutation; fixed: Mutation }> = {
  livekit_unreachable: {
    broken: (s) => (s.livekit = { status: 'unknown', reason: 'Cannot reach LiveKit at https://x (ECONNREFUSED)' }),
    fixed: (s) => (s.livekit = healthy().livekit),
  },
  database_unreachable: {
    broken: (s) => (s.database = { status: 'unknown', reason: 'ECONNREFUSED' }),
    fixed: (s) => (s.database = healthy().database),
  },
  no_phone_numbers: {
    broken: (s) => (db(s).phoneNumbers = []),
    fixed: (s) => (db(s).phoneNumbers = healthy().database.status === 'ok' ? db(healthy()).phoneNumbers : []),
  },
  number_without_config: {
    broken: (s) => (db(s).phoneNumbers[0]!.agent_config_id = null),
    fixed: (s) => (db(s).phoneNumbers[0]!.agent_config_id = '6f1c0c2e-0000-4000-8000-000000000002'),
  },
  trunk_missing: { broken: (s) => (lk(s).trunks = []), fixed: (s) => (lk(s).trunks = [structuredClone(TRUNK)]) },
  trunk_excludes_number: {
    broken: (s) => (trunk(s).numbers = ['+15550009999']),
    fixed: (s) => (trunk(s).numbers = ['+15550009999', '+1 (555) 123-0001']),
  },
  trunk_conflict: {
    broken: (s) => lk(s).trunks.push({ sipTrunkId: 'ST_old', name: 'old', allowedAddresses: ['198.51.100.7'] }),
    fixed: (s) => (lk(s).trunks = lk(s).trunks.filter((t) => t.sipTrunkId !== 'ST_old')),
  },
  trunk_allowed_numbers_are_dialed_numbers: {
    broken: (s) => (trunk(s).allowedNumbers = [NUMBER]),
    fixed: (s) => (trunk(s).allowedNumbers = []),
  },
  trunk_allowed_numbers_restrict_callers: {
    broken: (s) => (trunk(s).allowedNumbers = ['+15557770000']),
    fixed: (s) => (trunk(s).allowedNumbers = []),
  },
  trunk_open_to_all: {
    broken: (s) => (trunk(s).allowedAddresses = ['0.0.0.0/0']),
    fixed: (s) => Object.assign(trunk(s), { authUsername: 'signalwire', authPassword: 'secret' }),
  },
  trunk_invalid_address: {
    broken: (s) => (trunk(s).allowedAddresses = ['203.0.113.0/24', 'sip://sw.example']),
    fixed: (s) => (trunk(s).allowedAddresses = ['203.0.113.0/24', 'sw.example']),
  },
  trunk_requires_auth: {
    broken: (s) => Object.assign(trunk(s), { authUsername: 'signalwire', authPassword: 'secret' }),
    fixed: (s) => Object.assign(trunk(s), { authUsername: '', authPassword: '' }),
  },
  rule_missing: { broken: (s) => (lk(s).rules = []), fixed: (s) => (lk(s).rules = [structuredClone(RULE)]) },
  number_dropped: {
    broken: (s) => (rule(s).inboundNumbers = ['+15557770000']),
    fixed: (s) => (rule(s).inboundNumbers = []),
  },
  rule_wildcard: { broken: (s) => (rule(s).trunkIds = []), fixed: (s) => (rule(s).trunkIds = ['ST_main']) },
  rule_inbound_numbers_prefix: {
    broken: (s) => (rule(s).inboundNumbers = ['+1']),
    fixed: (s) => (rule(s).inboundNumbers = []),
  },
  rule_inbound_numbers_restrict_callers: {
    broken: (s) => (rule(s).inboundNumbers = ['+15557770000']),
    fixed: (s) => (rule(s).inboundNumbers = []),
  },
  rule_numbers_exclude_number: {
    broken: (s) => (rule(s).numbers = ['+15550000000']),
    fixed: (s) => (rule(s).numbers = ['+15550000000', NUMBER]),
  },
  rule_conflict: {
    broken: (s) => lk(s).rules.push({ ...structuredClone(RULE), sipDispatchRuleId: 'SDR_dup', name: 'dashboard copy' }),
    fixed: (s) => (lk(s).rules = lk(s).rules.filter((r) => r.sipDispatchRuleId !== 'SDR_dup')),
  },
  rule_pin_required: {
    broken: (s) => (rule(s).rule = { dispatchRuleIndividual: { roomPrefix: 'call-', pin: '1234' } }),
    fixed: (s) => (rule(s).rule = { dispatchRuleIndividual: { roomPrefix: 'call-' } }),
  },
  rule_hides_phone_number: {
    broken: (s) => (rule(s).hidePhoneNumber = true),
    fixed: (s) => (rule(s).hidePhoneNumber = false),
  },
  rule_shared_room: {
    broken: (s) => (rule(s).rule = { dispatchRuleDirect: { roomName: 'lobby' } }),
    fixed: (s) => (rule(s).rule = { dispatchRuleIndividual: { roomPrefix: 'call-' } }),
  },
  rule_room_prefix_changed: {
    broken: (s) => (rule(s).rule = { dispatchRuleIndividual: { roomPrefix: 'sw-' } }),
    fixed: (s) => (s.desired.roomPrefix = 'sw-'),
  },
  rule_no_agent: {
    broken: (s) => delete rule(s).roomConfig,
    fixed: (s) => (rule(s).roomConfig = { agents: [{ agentName: DEFAULT_AGENT_NAME }] }),
  },
  rule_agent_name_mismatch: {
    broken: (s) => (rule(s).roomConfig = { agents: [{ agentName: 'SW Telephony Agent ' }] }),
    fixed: (s) => (rule(s).roomConfig = { agents: [{ agentName: DEFAULT_AGENT_NAME }] }),
  },
  worker_unreachable: {
    broken: (s) => (s.worker = { status: 'unknown', url: 'http://127.0.0.1:8081', reason: 'ECONNREFUSED' }),
    fixed: (s) => (s.worker = healthy().worker),
  },
  worker_not_connected: {
    broken: (s) => (worker(s).health = { httpStatus: 503, body: 'not connected to livekit' }),
    fixed: (s) => (worker(s).health = { httpStatus: 200, body: 'OK' }),
  },
  worker_name_mismatch: {
    broken: (s) => (worker(s).info = { agent_name: 'sw telephony agent' }),
    fixed: (s) => (worker(s).info = { agent_name: DEFAULT_AGENT_NAME }),
  },
  config_issue_open: {
    broken: (s) =>
      db(s).configIssues.push({
        subject_type: 'agent_config',
        subject_id: 'c1',
        code: 'voice_disabled',
        severity: 'error',
        message: 'The voice is disabled.',
      }),
    fixed: (s) => (db(s).configIssues = []),
  },
  provider_keys_not_checked: {
    broken: (s) => (s.providerKeys = null),
    fixed: (s) => (s.providerKeys = healthy().providerKeys),
  },
  provider_key_missing: {
    broken: (s) =>
      (s.providerKeys = {
        ELEVEN_API_KEY: false,
        ELEVENLABS_API_KEY: true,
        DEEPGRAM_API_KEY: true,
        OPENAI_API_KEY: true,
      }),
    fixed: (s) =>
      (s.providerKeys = {
        ELEVEN_API_KEY: true,
        ELEVENLABS_API_KEY: true,
        DEEPGRAM_API_KEY: true,
        OPENAI_API_KEY: true,
      }),
  },
};

const codes = (s: SipSnapshot) => diagnose(s).map((f) => f.code);

describe('diagnose', () => {
  it('finds nothing in a healthy setup', () => {
    expect(diagnose(healthy())).toEqual([]);
    expect(buildReport(healthy(), []).result).toBe('ok');
  });

  it('has a scenario for every finding code', () => {
    expect(Object.keys(SCENARIOS).sort()).toEqual([...FINDING_CODES].sort());
  });

  for (const code of FINDING_CODES) {
    it(`raises ${code} in its scenario and clears it once fixed`, () => {
      const snapshot = healthy();
      SCENARIOS[code].broken(snapshot);
      const found = diagnose(snapshot).filter((f) => f.code === code);
      expect(found.length).toBeGreaterThan(0);
      for (const f of found) {
        expect(f.message.length).toBeGreaterThan(20);
        expect(f.fix.length).toBeGreaterThan(10);
        expect(f.subject).not.toBe('');
      }
      SCENARIOS[code].fixed(snapshot);
      expect(codes(snapshot)).not.toContain(code);
    });
  }

  it('diagnoses the runbook configuration: open trunk, and "+1" admits only a caller literally named +1', () => {
    const s = healthy();
    lk(s).trunks = [
      {
        sipTrunkId: 'ST_eDVUAafvDeF6',
        name: 'SignalWire Inbound',
        allowedAddresses: ['0.0.0.0/0'],
        allowedNumbers: [],
      },
    ];
    lk(s).rules = [
      {
        sipDispatchRuleId: 'SDR_yFiprRssooJC',
        name: 'Sw-calls',
        trunkIds: ['ST_eDVUAafvDeF6'],
        hidePhoneNumber: false,
        inboundNumbers: ['+1'],
        rule: { dispatchRuleIndividual: { roomPrefix: 'call-', pin: '' } },
        roomConfig: { agents: [{ agentName: 'SW Telephony Agent', metadata: '' }] },
      },
    ];
    const findings = diagnose(s);
    expect(findings.map((f) => [f.code, f.severity, f.subject])).toEqual([
      ['trunk_open_to_all', 'warn', 'ST_eDVUAafvDeF6'],
      ['rule_inbound_numbers_prefix', 'fail', 'SDR_yFiprRssooJC'],
      ['number_dropped', 'fail', NUMBER],
    ]);
    expect(findings.find((f) => f.code === 'rule_inbound_numbers_prefix')!.message).toContain('literally "+1"');
    expect(buildReport(s, findings).result).toBe('fail');
  });

  it('tells a one-character agent-name difference apart from a different name', () => {
    const s = healthy();
    rule(s).roomConfig = { agents: [{ agentName: 'sw telephony agent' }] };
    expect(diagnose(s).find((f) => f.code === 'rule_agent_name_mismatch')!.message).toContain(
      'only in letter case or spaces',
    );
    rule(s).roomConfig = { agents: [{ agentName: 'Receptionist' }] };
    expect(diagnose(s).find((f) => f.code === 'rule_agent_name_mismatch')!.message).toContain('"Receptionist"');
  });

  it('marks parts it could not read as unknown with the reason', () => {
    const s = healthy();
    s.livekit = { status: 'unknown', reason: 'LiveKit at https://x did not answer within 2000 ms' };
    const [f] = diagnose(s).filter((x) => x.code === 'livekit_unreachable');
    expect(f).toMatchObject({ status: 'unknown', stage: 'trunk' });
    expect(f!.message).toContain('did not answer within 2000 ms');
    expect(buildReport(s, diagnose(s)).stages.find((st) => st.stage === 'trunk')!.status).toBe('unknown');
  });

  it('marks the dispatch rule and room stages unknown, not ok, when LiveKit could not be read', () => {
    const s = healthy();
    s.livekit = { status: 'unknown', reason: 'Cannot reach LiveKit at https://x (ECONNREFUSED)' };
    const report = buildReport(s, diagnose(s));
    const status = Object.fromEntries(report.stages.map((st) => [st.stage, st.status]));
    expect(status).toMatchObject({ trunk: 'unknown', dispatch_rule: 'unknown', room: 'unknown' });
    const text = renderReport(report);
    expect(text).not.toMatch(/\[ok {2}\] (Dispatch rule|Room)/);
    expect(text).toContain('[????] Dispatch rule - not read: LiveKit could not be read');
    expect(text).toContain('[????] Room - not read: LiveKit could not be read');
  });

  it('does not call a report all clear when a stage could not be checked', () => {
    const s = healthy();
    s.providerKeys = null;
    const report = buildReport(s, diagnose(s));
    expect(report.result).toBe('ok');
    expect(report.unknownStages).toEqual(['providers']);
    const text = renderReport(report);
    expect(text).not.toContain('All clear');
    expect(text).toContain('not checked: Providers');
  });

  it('lets a wildcard rule rescue a number no trunk lists, but still reports the trunk', () => {
    const s = healthy();
    trunk(s).numbers = ['+15550009999'];
    rule(s).trunkIds = [];
    expect(codes(s)).toEqual(expect.arrayContaining(['trunk_excludes_number', 'rule_wildcard']));
    expect(codes(s)).not.toContain('number_dropped');
  });
});
