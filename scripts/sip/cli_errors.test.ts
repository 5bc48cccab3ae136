import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EXIT_CODE } from '../exit_code.ts';
import { PROJECT_ROOT } from './context.ts';
import { startSipWorld, type SipWorld } from './test_support.ts';

let world: SipWorld;
beforeAll(async () => {
  world = await startSipWorld();
});
afterAll(() => world?.close());

/** One line on stderr, no stack trace. */
function expectOneLine(stderr: string): void {
  expect(stderr.split('\n')).toHaveLength(1);
  expect(stderr).not.toMatch(/\n\s+at |Error:/);
}

describe('npm run sip errors: one line with the fix and an exit code', () => {
  it.each([
    ['LIVEKIT_URL', /LIVEKIT_URL is not set: export LIVEKIT_URL=https:\/\/<project>\.livekit\.cloud/],
    ['LIVEKIT_API_KEY', /LIVEKIT_API_KEY is not set/],
    ['LIVEKIT_API_SECRET', /LIVEKIT_API_SECRET is not set/],
  ])('missing %s: exit 3', async (name, message) => {
    const { code, stderr } = await world.run(['plan'], { [name]: undefined });
    expect(code).toBe(3);
    expect(stderr).toMatch(message);
    expectOneLine(stderr);
  });

  it('a LIVEKIT_URL that is not a URL: exit 3', async () => {
    const { code, stderr } = await world.run(['backup'], { LIVEKIT_URL: 'my-project.livekit.cloud' });
    expect(code).toBe(3);
    expect(stderr).toBe(
      'sip: LIVEKIT_URL "my-project.livekit.cloud" is not a URL: use https://<project>.livekit.cloud (or http://127.0.0.1:7880).',
    );
  });

  it('a LIVEKIT_URL pointing at something that is not LiveKit: exit 3', async () => {
    const { code, stderr } = await world.run(['plan'], { LIVEKIT_URL: world.worker.url });
    expect(code).toBe(3);
    expect(stderr).toContain(`${world.worker.url} did not answer like a LiveKit server (HTTP 404): check LIVEKIT_URL`);
    expectOneLine(stderr);
  });

  it('nothing listening at LIVEKIT_URL: exit 4', async () => {
    const closed = await import('../../test/fakes/livekit.ts').then((m) => m.FakeLiveKit.start());
    const url = closed.url;
    await closed.close();
    const { code, stderr } = await world.run(['rooms'], { LIVEKIT_URL: url });
    expect(code).toBe(4);
    expect(stderr).toContain(`Cannot reach LiveKit at ${url} (ECONNREFUSED): check LIVEKIT_URL`);
    expectOneLine(stderr);
  });

  it('401 from LiveKit (wrong secret): exit 3, names the credentials', async () => {
    const { code, stderr } = await world.run(['apply'], {
      LIVEKIT_API_SECRET: 'not-the-secret-of-this-project-000000',
    });
    expect(code).toBe(3);
    expect(stderr).toMatch(
      /refused the credentials \(401: invalid authorization token: .*\): check that LIVEKIT_API_KEY and LIVEKIT_API_SECRET/,
    );
    expectOneLine(stderr);
  });

  it('LiveKit slower than LIVEKIT_TIMEOUT_MS: exit 4', async () => {
    world.livekit.setLatency(1_000);
    try {
      const { code, stderr } = await world.run(['plan'], { LIVEKIT_TIMEOUT_MS: '150' });
      expect(code).toBe(4);
      expect(stderr).toBe(
        `sip: LiveKit at ${world.livekit.url} did not answer within 150 ms: check the network and LIVEKIT_URL, or raise LIVEKIT_TIMEOUT_MS.`,
      );
    } finally {
      world.livekit.setLatency(0);
    }
  });

  it('doctor with LiveKit unreachable still reports the rest, marking LiveKit unknown', async () => {
    world.livekit.fail('ListSIPInboundTrunk', { kind: 'reset' });
    const { code, stdout } = await world.run(['doctor', '--json']);
    expect(code).toBe(2);
    const report = JSON.parse(stdout);
    expect(report.findings).toEqual([expect.objectContaining({ code: 'livekit_unreachable', status: 'unknown' })]);
    const status = Object.fromEntries(report.stages.map((s: { stage: string; status: string }) => [s.stage, s.status]));
    expect(status).toMatchObject({ trunk: 'unknown', dispatch_rule: 'unknown', room: 'unknown', agent: 'ok' });
    world.livekit.fail('ListSIPInboundTrunk', { kind: 'reset' });
    const text = await world.run(['doctor', '--no-color']);
    expect(text.stdout).toContain('[????] Dispatch rule - not read: LiveKit could not be read');
    expect(text.stdout).not.toContain('All clear');
  });

  it("a LiveKit refusal is one line with LiveKit's reason: exit 2", async () => {
    const msg =
      'Conflicting inbound SIP Trunks: "<new>" and "ST_x", using the same number(s) <any> without AllowedNumbers set';
    world.livekit.fail('CreateSIPInboundTrunk', { code: 'invalid_argument', msg });
    const { code, stderr } = await world.run(['apply']);
    expect(code).toBe(2);
    expect(stderr).toBe(
      `sip: LiveKit refused to create trunk "Switchboard inbound (SignalWire)" (invalid_argument: ${msg}).`,
    );
  });

  it('an invalid telephony setup stops before LiveKit is called: exit 3', async () => {
    const { code, stderr } = await world.run(['plan'], { SIP_ALLOWED_ADDRESSES: '0.0.0.0/0' });
    expect(code).toBe(3);
    expect(stderr).toMatch(/any address with no credentials \(toll-fraud risk\)/);
    const half = await world.run(['plan'], { SIP_AUTH_USERNAME: 'sw' });
    expect(half.stderr).toBe('sip: Set both SIP_AUTH_USERNAME and SIP_AUTH_PASSWORD, or neither.');
  });

  it('unknown command and bad flags: the usage exit code (64, apart from failures) with the way to help', async () => {
    expect(await world.run(['dcotor'])).toMatchObject({
      code: EXIT_CODE.usage,
      stderr: 'sip: unknown command "dcotor". Run npm run sip -- help',
    });
    const bad = await world.run(['doctor', '--jsno']);
    expect(bad.code).toBe(EXIT_CODE.usage);
    expect(EXIT_CODE.usage).not.toBe(EXIT_CODE.failures);
    expectOneLine(bad.stderr);
  });

  it('the real entry point prints one line and exits 3 without credentials', () => {
    const env = { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '' };
    const result = spawnSync(process.execPath, [path.join(PROJECT_ROOT, 'scripts/sip/cli.ts'), 'doctor'], {
      env,
      encoding: 'utf8',
    });
    expect(result.status).toBe(3);
    expect(result.stderr.trim()).toMatch(/^sip: LIVEKIT_URL is not set: /);
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
  });
});

describe('npm run sip apply on the runbook setup', () => {
  it('adopts the runbook trunk, keeps its "+1" rule until --prune, then the doctor passes', async () => {
    const runbook = await startSipWorld();
    try {
      const trunk = await runbook.sip.createSipInboundTrunk('SignalWire Inbound', [], {
        allowedAddresses: ['0.0.0.0/0'],
        allowedNumbers: [],
      });
      const rule = await runbook.sip.createSipDispatchRule(
        { type: 'individual', roomPrefix: 'call-' },
        {
          name: 'Sw-calls',
          trunkIds: [trunk.sipTrunkId],
          roomConfig: (await import('livekit-server-sdk')).RoomConfiguration.fromJson({
            agents: [{ agentName: 'SW Telephony Agent' }],
          }),
        },
      );
      const withPlusOne = rule.clone();
      withPlusOne.inboundNumbers = ['+1'];
      await runbook.sip.updateSipDispatchRule(rule.sipDispatchRuleId, withPlusOne);

      const before = JSON.parse((await runbook.run(['doctor', '--json'])).stdout);
      expect(before.findings.map((f: { code: string }) => f.code)).toEqual([
        'trunk_open_to_all',
        'rule_inbound_numbers_prefix',
        'number_dropped',
      ]);

      const plan = (await runbook.run(['plan'])).stdout;
      expect(plan).toContain(`~ update trunk ${trunk.sipTrunkId} "SignalWire Inbound" (adopted`);
      expect(plan).toContain('allowedAddresses: ["0.0.0.0/0"] -> ["203.0.113.0/24"]');
      expect(plan).toContain(`keep unmanaged dispatch rule ${rule.sipDispatchRuleId} "Sw-calls"`);
      await runbook.run(['apply']);
      expect(
        JSON.parse((await runbook.run(['doctor', '--json'])).stdout).findings.map((f: { code: string }) => f.code),
      ).toEqual(['rule_inbound_numbers_prefix']);
      await runbook.run(['apply', '--prune']);
      const after = await runbook.run(['doctor']);
      expect(after.code).toBe(0);
      expect((await runbook.sip.listSipInboundTrunk()).map((t) => t.sipTrunkId)).toEqual([trunk.sipTrunkId]);
    } finally {
      await runbook.close();
    }
  });
});
