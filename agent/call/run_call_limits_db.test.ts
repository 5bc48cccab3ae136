// Silence and call-length limits, with the config read through the real Postgres source and the
// call recorded by the real call store on the test database. The database keeps limits real
// (silence_timeout_ms at least 5 s, max_call_duration_ms at least 60 s), so the silence tests
// use 5 s and run concurrently; the call length is lowered only through runCall's own
// maxCallDurationMs ceiling, never in the database.
import { initializeLogger, log } from '@livekit/agents';
import { testLogLevel } from '../testing/test_log_level.ts';
import { afterAll, beforeAll, describe, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../../test/db/harness.ts';
import { FakeLiveKit } from '../../test/fakes/livekit.ts';
import { type FakeOpenAI, startFakeOpenAI } from '../../test/fakes/openai.ts';
import { seedAgent } from '../config/_test_fixtures.ts';
import { fakeLiveKitCall } from '../testing/fake_livekit_call.ts';
import { openPostgresBackends, type PostgresBackends } from '../testing/postgres_backends.ts';
import { textProviders } from './text_providers.ts';
import { MAX_DURATION_GOODBYE, SILENCE_GOODBYE, SILENCE_REMINDER } from './fallback.ts';
import { type RunCallOptions, runCall } from './run_call.ts';

const SILENCE_MS = 5_000;

let db: TestDatabase;
let openai: FakeOpenAI;
let livekit: FakeLiveKit;
let backends: PostgresBackends;

beforeAll(async () => {
  initializeLogger({ pretty: false, level: testLogLevel() });
  [db, openai, livekit] = await Promise.all([createTestDatabase(), startFakeOpenAI(), FakeLiveKit.start()]);
  openai.setScript(() => ({ text: 'Okay.' }));
  backends = await openPostgresBackends(db.url);
});
afterAll(async () => {
  await backends.close();
  await Promise.all([db.close(), openai.close(), livekit.close()]);
});

async function agentWith(limits: { silence_timeout_ms?: number; greeting?: string }) {
  const agent = await seedAgent(db);
  await db.sql`update public.agent_configs
                  set silence_timeout_ms = ${limits.silence_timeout_ms ?? 30_000}, greeting = ${limits.greeting ?? 'Hello!'}
                where id = ${agent.configId}`;
  return agent;
}

function callFor(dialed: string, options: RunCallOptions = {}) {
  const { roomName, info, controls } = fakeLiveKitCall(livekit, dialed);
  const deps = {
    configSource: backends.source,
    callStore: backends.store,
    providers: textProviders({ openaiApiKey: openai.apiKey, openaiBaseUrl: openai.baseUrl }),
    controls,
    logger: log(),
  };
  return { roomName, call: runCall(info, deps, options) };
}

function assistantTexts(session: { history: { items: Array<{ type: string; role?: string; textContent?: string }> } }) {
  return session.history.items.filter((i) => i.type === 'message' && i.role === 'assistant').map((i) => i.textContent);
}

describe.concurrent('call limits from the database', () => {
  it('reminds a silent caller once after silence_timeout_ms, then says goodbye, hangs up and records it', async ({
    expect,
  }) => {
    const agent = await agentWith({ silence_timeout_ms: SILENCE_MS });
    const started = performance.now();
    const { call: running, roomName } = callFor(agent.e164);
    const call = await running;
    expect(call.callConfig).toMatchObject({ kind: 'agent', config: { silence_timeout_ms: SILENCE_MS } });
    const outcome = await call.finished;
    expect(outcome.reason).toBe('silence_timeout');
    expect(performance.now() - started).toBeGreaterThanOrEqual(2 * SILENCE_MS - 50);
    expect(assistantTexts(call.session)).toEqual(['Hello!', SILENCE_REMINDER, SILENCE_GOODBYE]);
    expect(livekit.rooms.has(roomName)).toBe(false);
    expect(livekit.requests.filter((r) => r.method === 'DeleteRoom' && r.body.room === roomName)).toHaveLength(1);
    const [row] =
      await db.sql`select end_reason, turns, agent_config_id from public.calls where id = ${outcome.callRowId}`;
    expect(row).toMatchObject({ end_reason: 'silence_timeout', turns: 0, agent_config_id: agent.configId });
  }, 30_000);

  it('starts the silence clock over when the caller speaks after a reminder', async ({ expect }) => {
    const agent = await agentWith({ silence_timeout_ms: SILENCE_MS, greeting: '' });
    const call = await callFor(agent.e164).call;
    const reminders = () => assistantTexts(call.session).filter((t) => t === SILENCE_REMINDER).length;
    await expect.poll(reminders, { timeout: 3 * SILENCE_MS, interval: 50 }).toBe(1);
    await call.session.run({ userInput: "Yes, I'm here." }).wait();
    // Speaking cleared the reminder: the next silent period reminds again instead of hanging up.
    await expect.poll(reminders, { timeout: 3 * SILENCE_MS, interval: 50 }).toBe(2);
    expect(assistantTexts(call.session)).not.toContain(SILENCE_GOODBYE);
    await call.end('agent_hangup');
    expect((await call.finished).reason).toBe('agent_hangup');
  }, 30_000);

  it("ends the call with a goodbye at runCall's maxCallDurationMs, under the config's 60 s minimum", async ({
    expect,
  }) => {
    const agent = await agentWith({ greeting: '' });
    const call = await callFor(agent.e164, { maxCallDurationMs: 300 }).call;
    expect(call.callConfig).toMatchObject({ kind: 'agent', config: { max_call_duration_ms: 1_800_000 } });
    const outcome = await call.finished;
    expect(outcome.reason).toBe('max_duration');
    expect(assistantTexts(call.session)).toEqual([MAX_DURATION_GOODBYE]);
    const [row] = await db.sql`select end_reason from public.calls where id = ${outcome.callRowId}`;
    expect(row).toMatchObject({ end_reason: 'max_duration' });
  });

  it('refuses a silence timeout under 5 s in the database (the product rule these tests keep)', async ({ expect }) => {
    const agent = await seedAgent(db);
    await expect(
      db.sql`update public.agent_configs set silence_timeout_ms = 4999 where id = ${agent.configId}`,
    ).rejects.toMatchObject({ code: '23514' });
  });
});
