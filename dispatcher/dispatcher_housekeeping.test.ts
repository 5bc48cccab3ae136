// The dispatcher's timers, with nobody calling a function by hand: expired transcripts and old
// webhook history disappear on the retention period, and a call whose analysis never arrives is
// settled by the sweep, so its call.ended reaches the receiver.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../test/db/harness.ts';
import { serviceRolePersona } from '../test/db/personas.ts';
import { createEndpoint, startCall } from '../test/db/webhooks.ts';
import { startWebhookReceiver, type WebhookReceiver } from '../test/fakes/webhook_receiver.ts';
import { type Dispatcher, startDispatcher } from './dispatcher.ts';
import { createLog } from './log.ts';

const DAY_MS = 24 * 3_600_000;
let db: TestDatabase;
let receiver: WebhookReceiver;
let dispatcher: Dispatcher;

beforeAll(async () => {
  db = await createTestDatabase();
  receiver = await startWebhookReceiver();
  dispatcher = await startDispatcher({
    databaseUrl: db.url,
    allowHttp: true,
    allowPrivate: true,
    pollIntervalMs: 100,
    log: createLog('silent'),
    sweepIntervalMs: 200,
    analysisDeadlineMs: 1_000,
    retentionIntervalMs: 200,
    webhookHistoryKeepMs: DAY_MS,
  });
});
afterAll(async () => {
  await dispatcher.stop();
  await receiver.close();
  await db.close();
});

async function until<T>(read: () => Promise<T>, done: (value: T) => boolean, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (done(value)) return value;
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms: ${JSON.stringify(value)}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe('retention on a timer', () => {
  it("an expired transcript turn disappears by itself; a recent one and an unlimited owner's stay", async () => {
    const owner = await db.createUser();
    const keeper = await db.createUser();
    await db.as(owner, (sql) => sql`insert into public.owner_settings (transcript_retention_days) values (7)`);
    const callId = await startCall(db, owner.userId!);
    const keptCallId = await startCall(db, keeper.userId!);
    await db.as(
      serviceRolePersona(),
      (sql) => sql`insert into public.call_turns (call_id, seq, role, text)
      values (${callId}, 0, 'caller', 'old'), (${callId}, 1, 'agent', 'new'), (${keptCallId}, 0, 'caller', 'old too')`,
    );
    await db.sql`update public.call_turns set created_at = now() - interval '8 days' where text in ('old', 'old too')`;
    const left = await until(
      () => db.sql`select text from public.call_turns where call_id in ${db.sql([callId, keptCallId])} order by text`,
      (rows) => rows.length < 3,
    );
    expect(left.map((r) => r.text)).toEqual(['new', 'old too']);
  });

  it('a webhook event past the history window goes with its delivery', async () => {
    const owner = await db.createUser();
    const endpoint = await createEndpoint(db, owner, { url: receiver.url, events: ['call.started'] });
    receiver.secrets = [endpoint.secret];
    const before = receiver.requests.length;
    await startCall(db, owner.userId!);
    await receiver.waitFor(before + 1);
    await until(
      () => db.sql`select status from public.webhook_deliveries where endpoint_id = ${endpoint.id}`,
      (rows) => rows[0]?.status === 'succeeded',
    );
    await db.sql`update public.webhook_events set created_at = now() - interval '2 days' where owner_id = ${owner.userId!}`;
    await until(
      () => db.sql`select 1 from public.webhook_events where owner_id = ${owner.userId!}`,
      (rows) => rows.length === 0,
    );
    expect(await db.sql`select 1 from public.webhook_deliveries where endpoint_id = ${endpoint.id}`).toEqual([]);
  });
});

describe('analysis deadline', () => {
  it('a call whose analysis never arrives is settled, and call.ended reaches the receiver', async () => {
    const owner = await db.createUser();
    const endpoint = await createEndpoint(db, owner, { url: receiver.url, events: ['call.ended'] });
    receiver.secrets = [endpoint.secret];
    const before = receiver.requests.length;
    const callId = await startCall(db, owner.userId!);
    await db.as(
      serviceRolePersona(),
      (sql) =>
        sql`select public.record_call_end(${callId}, ${sql.json({ ended_at: new Date().toISOString(), end_reason: 'caller_hangup' })})`,
    );
    const got = await receiver.waitFor(before + 1);
    const event = got.at(-1)!;
    expect(event.verifiedWith).toBe(0);
    expect(event.payload).toMatchObject({
      type: 'call.ended',
      data: { call: { id: callId, analysis_status: 'skipped' }, analysis: { status: 'skipped' } },
    });
    expect(Date.now() - Date.parse(event.payload.data.call.ended_at)).toBeGreaterThanOrEqual(1_000);
  });
});
