// sip-status: the auth matrix, the report for a healthy and a broken setup, and LiveKit or the
// worker down or slow (findings with status "unknown", never a 500). Run with `npm run test:deno`,
// which starts the LiveKit and worker-health fakes (Node) and passes their URLs by env.
import assert from 'node:assert/strict';
import { RoomAgentDispatch, RoomConfiguration, SipClient } from 'livekit-server-sdk';
import type { SipReport } from '../../../shared/sip/report.ts';
import { loadEnv } from '../_shared/env.ts';
import {
  createTestDatabase,
  serviceRoleToken,
  TEST_JWT_SECRET,
  type TestDatabase,
  userToken,
} from '../tests/harness.ts';
import { createSipStatus, SIP_STATUS_ENV, type SipStatusApp } from './handler.ts';

const URL_ = 'http://127.0.0.1:54321/functions/v1/sip-status';
const NUMBER = '+15551230001';

function required(name: string): string {
  const value = Deno.env.get(name);
  if (!value) throw new Error(`${name} is not set: run the function tests with \`npm run test:deno\`.`);
  return value;
}

const livekit = {
  url: () => required('LIVEKIT_FAKE_URL'),
  sip: () =>
    new SipClient(required('LIVEKIT_FAKE_URL'), required('LIVEKIT_FAKE_API_KEY'), required('LIVEKIT_FAKE_API_SECRET')),
  async control(path: string, body: unknown = {}): Promise<unknown> {
    const res = await fetch(`${livekit.url()}/__fake/${path}`, { method: 'POST', body: JSON.stringify(body) });
    return await res.json();
  },
};
const workerFake = {
  url: () => required('WORKER_FAKE_URL'),
  async set(options: { agentName?: string; connected?: boolean }) {
    await (
      await fetch(`${workerFake.url()}/__fake/set`, { method: 'POST', body: JSON.stringify(options) })
    ).body?.cancel();
  },
};

interface World {
  app: SipStatusApp;
  db: TestDatabase;
  admin: string;
  close(): Promise<void>;
}

async function world(envOverrides: Record<string, string | undefined> = {}): Promise<World> {
  await livekit.control('reset');
  await workerFake.set({ agentName: 'SW Telephony Agent', connected: true });
  const db = await createTestDatabase();
  const owner = await db.createUser();
  const [config] =
    await db.sql`insert into public.agent_configs (owner_id, name) values (${owner}, 'Front desk') returning id`;
  await db.sql`insert into public.phone_numbers (e164, owner_id, agent_config_id) values (${NUMBER}, ${owner}, ${config!.id})`;
  const env = loadEnv(SIP_STATUS_ENV, {
    SUPABASE_DB_URL: db.url,
    JWT_SECRET: TEST_JWT_SECRET,
    LOG_LEVEL: 'silent',
    LIVEKIT_URL: livekit.url(),
    LIVEKIT_API_KEY: required('LIVEKIT_FAKE_API_KEY'),
    LIVEKIT_API_SECRET: required('LIVEKIT_FAKE_API_SECRET'),
    WORKER_HEALTH_URL: workerFake.url(),
    SIP_STATUS_TIMEOUT_MS: '1000',
    ...envOverrides,
  });
  const app = createSipStatus(env);
  const adminId = await db.createUser({ role: 'admin' });
  return {
    app,
    db,
    admin: await userToken(adminId, { appMetadata: { role: 'admin' } }),
    async close() {
      await app.close();
      await db.close();
    },
  };
}

async function setUpLiveKit(): Promise<{ trunkId: string; ruleId: string }> {
  const sip = livekit.sip();
  const trunk = await sip.createSipInboundTrunk('Switchboard inbound (SignalWire)', [], {
    allowedAddresses: ['203.0.113.0/24'],
  });
  const rule = await sip.createSipDispatchRule(
    { type: 'individual', roomPrefix: 'call-' },
    {
      name: 'Switchboard calls',
      trunkIds: [trunk.sipTrunkId],
      roomConfig: new RoomConfiguration({ agents: [new RoomAgentDispatch({ agentName: 'SW Telephony Agent' })] }),
    },
  );
  return { trunkId: trunk.sipTrunkId, ruleId: rule.sipDispatchRuleId };
}

const get = (app: SipStatusApp, token?: string, method = 'GET') =>
  app.fetch(new Request(URL_, { method, headers: token ? { authorization: `Bearer ${token}` } : {} }));

async function report(res: Response): Promise<SipReport> {
  assert.equal(res.status, 200);
  return await res.json();
}

Deno.test('sip-status answers admins only: 401 without a valid token, 403 for other users', async () => {
  const w = await world();
  try {
    const missing = await get(w.app);
    assert.equal(missing.status, 401);
    assert.equal((await missing.json()).error.code, 'unauthorized');

    const forged = await get(
      w.app,
      await userToken(crypto.randomUUID(), {
        secret: 'some-other-secret-of-32-characters-or-more',
        appMetadata: { role: 'admin' },
      }),
    );
    assert.equal(forged.status, 401);
    await forged.body?.cancel();
    const expired = await get(
      w.app,
      await userToken(crypto.randomUUID(), { expiresIn: -60, appMetadata: { role: 'admin' } }),
    );
    assert.equal(expired.status, 401);
    await expired.body?.cancel();
    const anon = await get(w.app, await userToken(crypto.randomUUID(), { role: 'anon' }));
    assert.equal(anon.status, 401);
    await anon.body?.cancel();

    const user = await get(w.app, await userToken(await w.db.createUser()));
    assert.equal(user.status, 403);
    assert.deepEqual(Object.keys((await user.json()).error).sort(), ['code', 'message']);
    const userMetadataAdmin = await get(w.app, await userToken(await w.db.createUser()));
    assert.equal(userMetadataAdmin.status, 403);
    await userMetadataAdmin.body?.cancel();

    assert.equal((await get(w.app, w.admin)).status, 200);
    const service = await get(w.app, await serviceRoleToken());
    assert.equal(service.status, 200);
    await service.body?.cancel();

    const post = await get(w.app, w.admin, 'POST');
    assert.equal(post.status, 405);
    await post.body?.cancel();
    const preflight = await w.app.fetch(
      new Request(URL_, {
        method: 'OPTIONS',
        headers: { origin: 'http://localhost:3000', 'access-control-request-method': 'GET' },
      }),
    );
    assert.ok(preflight.status < 300);
    assert.ok(preflight.headers.get('access-control-allow-origin'));
    await preflight.body?.cancel();
  } finally {
    await w.close();
  }
});

Deno.test('sip-status reports a healthy setup with no findings but the unchecked provider keys', async () => {
  const w = await world();
  try {
    await setUpLiveKit();
    const body = await report(await get(w.app, w.admin));
    assert.equal(body.result, 'ok');
    assert.deepEqual(
      body.findings.map((f) => [f.code, f.status]),
      [['provider_keys_not_checked', 'unknown']],
    );
    assert.deepEqual(
      body.stages.map((s) => s.stage),
      ['pstn', 'trunk', 'dispatch_rule', 'room', 'agent', 'providers'],
    );
  } finally {
    await w.close();
  }
});

Deno.test('sip-status explains a broken setup: the runbook "+1" rule and a worker under another name', async () => {
  const w = await world();
  try {
    const { ruleId } = await setUpLiveKit();
    const sip = livekit.sip();
    const [rule] = await sip.listSipDispatchRule({ dispatchRuleIds: [ruleId] });
    const edited = rule!.clone();
    edited.inboundNumbers = ['+1'];
    await sip.updateSipDispatchRule(ruleId, edited);
    await workerFake.set({ agentName: 'SW Telephony Agent2' });
    const body = await report(await get(w.app, w.admin));
    assert.equal(body.result, 'fail');
    const codes: string[] = body.findings.map((f) => f.code);
    for (const code of ['rule_inbound_numbers_prefix', 'number_dropped', 'worker_name_mismatch'])
      assert.ok(codes.includes(code), `${code} in ${codes}`);
  } finally {
    await w.close();
  }
});

Deno.test('sip-status with LiveKit down: a finding with status unknown and the reason, not a 500', async () => {
  const w = await world();
  try {
    await livekit.control('fail', { method: '*', failure: { kind: 'reset' }, times: 10 });
    const body = await report(await get(w.app, w.admin));
    const lk = body.findings.find((f) => f.code === 'livekit_unreachable');
    assert.equal(lk?.status, 'unknown');
    assert.match(lk!.message, /Cannot reach LiveKit at http:\/\/127\.0\.0\.1:\d+/);
    for (const stage of ['trunk', 'dispatch_rule', 'room']) {
      assert.equal(
        body.stages.find((s) => s.stage === stage)?.status,
        'unknown',
        `${stage} is not ok when LiveKit was not read`,
      );
    }
    assert.deepEqual(body.unknownStages, ['trunk', 'dispatch_rule', 'room', 'providers']);
    assert.equal(
      body.findings.some((f) => f.code === 'database_unreachable'),
      false,
    );
  } finally {
    await w.close();
  }
});

Deno.test('sip-status with LiveKit slow: answers within the timeout, LiveKit marked unknown', async () => {
  const w = await world({ SIP_STATUS_TIMEOUT_MS: '300' });
  try {
    await livekit.control('latency', { ms: 2_000 });
    const start = performance.now();
    const body = await report(await get(w.app, w.admin));
    const elapsed = performance.now() - start;
    assert.ok(elapsed < 1_500, `answered after ${elapsed} ms`);
    assert.match(body.findings.find((f) => f.code === 'livekit_unreachable')!.message, /did not answer within 300 ms/);
  } finally {
    await livekit.control('latency', { ms: 0 });
    await w.close();
  }
});

Deno.test('sip-status calls LiveKit in parallel: two 300 ms calls take about one', async () => {
  const w = await world();
  try {
    await setUpLiveKit();
    await get(w.app, w.admin).then((r) => r.body?.cancel()); // warm the database pool
    await livekit.control('latency', { ms: 300 });
    const start = performance.now();
    await report(await get(w.app, w.admin));
    const elapsed = performance.now() - start;
    assert.ok(elapsed < 550, `took ${elapsed} ms`);
  } finally {
    await livekit.control('latency', { ms: 0 });
    await w.close();
  }
});

Deno.test('sip-status with the worker down and LiveKit unconfigured still answers 200', async () => {
  const w = await world({ WORKER_HEALTH_URL: 'http://127.0.0.1:9', LIVEKIT_URL: undefined });
  try {
    const body = await report(await get(w.app, w.admin));
    const byCode = Object.fromEntries(body.findings.map((f) => [f.code, f]));
    assert.equal(byCode.worker_unreachable?.status, 'unknown');
    assert.match(byCode.livekit_unreachable!.message, /LIVEKIT_URL is not set for the function/);
  } finally {
    await w.close();
  }
});
