// The dispatcher end to end: real database, real queue, a receiver on 127.0.0.1 that verifies
// every signature with the standardwebhooks library. Retry delays are shortened through options.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../test/db/harness.ts';
import { createEndpoint, startCall } from '../test/db/webhooks.ts';
import { startWebhookReceiver, type WebhookReceiver } from '../test/fakes/webhook_receiver.ts';
import { type Dispatcher, startDispatcher } from './dispatcher.ts';
import { createLog } from './log.ts';

const log = createLog('silent');
const RETRY_DELAYS_MS = [300, 300, 1_500];
let db: TestDatabase;
let dispatcher: Dispatcher;

beforeAll(async () => {
  db = await createTestDatabase();
  dispatcher = await startDispatcher({
    databaseUrl: db.url,
    allowHttp: true,
    allowPrivate: true,
    retryDelaysMs: RETRY_DELAYS_MS,
    timeoutMs: 2_000,
    pollIntervalMs: 100,
    sweepIntervalMs: 500,
    log,
  });
});
afterAll(async () => {
  await dispatcher.stop();
  await db.close();
});

async function ownerWithReceiver(receiver: WebhookReceiver, events?: string[]) {
  const owner = await db.createUser();
  const endpoint = await createEndpoint(db, owner, { url: receiver.url, ...(events ? { events } : {}) });
  receiver.secrets = [endpoint.secret];
  return { owner, endpoint };
}
const deliveriesOf = (endpointId: string) =>
  db.sql`select id, event_id, status, attempts, status_code, error, replay_of from public.webhook_deliveries where endpoint_id = ${endpointId} order by created_at`;

async function until<T>(read: () => Promise<T>, done: (value: T) => boolean, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (done(value)) return value;
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms: ${JSON.stringify(value)}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe('dispatcher', () => {
  it('delivers call.started, signed, as the versioned envelope', async () => {
    const receiver = await startWebhookReceiver();
    try {
      const { owner, endpoint } = await ownerWithReceiver(receiver);
      const callId = await startCall(db, owner.userId!);
      const [got] = await receiver.waitFor(1);
      const [delivery] = await until(
        () => deliveriesOf(endpoint.id),
        (rows) => rows[0]?.status === 'succeeded',
      );
      expect(got!.verifiedWith).toBe(0);
      expect(got!.id).toBe(`msg_${delivery!.id}`);
      expect(got!.payload).toMatchObject({
        type: 'call.started',
        version: 1,
        id: delivery!.event_id,
        data: { call: { id: callId } },
      });
      expect(Object.keys(got!.payload)).toEqual(['type', 'version', 'id', 'created_at', 'data']);
      expect(delivery).toMatchObject({ attempts: 1, status_code: 204, error: null });
    } finally {
      await receiver.close();
    }
  });

  it('a receiver down for three attempts gets the event on the fourth, with the same webhook-id', async () => {
    const receiver = await startWebhookReceiver();
    const { owner, endpoint } = await ownerWithReceiver(receiver);
    const port = receiver.port;
    await receiver.close();
    await startCall(db, owner.userId!);
    const [failing] = await until(
      () => deliveriesOf(endpoint.id),
      (rows) => rows[0]?.attempts === 3,
    );
    expect(failing).toMatchObject({ status: 'pending', error: 'connection refused', status_code: null });
    const back = await startWebhookReceiver({ port, secrets: [endpoint.secret] });
    try {
      const [got] = await back.waitFor(1);
      expect(got).toMatchObject({ id: `msg_${failing!.id}`, verifiedWith: 0 });
      await until(
        () => deliveriesOf(endpoint.id),
        (rows) => rows[0]?.status === 'succeeded' && rows[0]?.attempts === 4,
      );
    } finally {
      await back.close();
    }
  });

  it('retries a 500, a closed socket and a timeout with the same webhook-id, verified every time', async () => {
    const receiver = await startWebhookReceiver();
    try {
      receiver.script({ status: 500, body: 'down for maintenance' }, { close: true }, { hang: true });
      const { owner, endpoint } = await ownerWithReceiver(receiver, ['call.started']);
      await startCall(db, owner.userId!);
      const got = await receiver.waitFor(4, 20_000);
      expect(new Set(got.map((r) => r.id)).size).toBe(1);
      expect(got.every((r) => r.verifiedWith === 0)).toBe(true);
      const [delivery] = await until(
        () => deliveriesOf(endpoint.id),
        (rows) => rows[0]?.status === 'succeeded',
      );
      expect(delivery!.attempts).toBe(4);
    } finally {
      await receiver.close();
    }
  }, 30_000);

  it('gives up after the last retry and keeps the last error for the owner', async () => {
    const receiver = await startWebhookReceiver();
    try {
      receiver.fallback = { status: 500, body: 'nope' };
      const { owner, endpoint } = await ownerWithReceiver(receiver, ['call.started']);
      await startCall(db, owner.userId!);
      const [delivery] = await until(
        () => deliveriesOf(endpoint.id),
        (rows) => rows[0]?.status === 'failed',
      );
      expect(delivery).toMatchObject({ attempts: RETRY_DELAYS_MS.length + 1, status_code: 500, error: 'HTTP 500' });
      const [visible] = await db.as(
        owner,
        (sql) => sql`select response_body, next_attempt_at from public.webhook_deliveries`,
      );
      expect(visible).toEqual({ response_body: 'nope', next_attempt_at: null });
    } finally {
      await receiver.close();
    }
  });

  it('a replay is a new delivery: a new webhook-id, the same event id', async () => {
    const receiver = await startWebhookReceiver();
    try {
      const { owner, endpoint } = await ownerWithReceiver(receiver, ['call.started']);
      await startCall(db, owner.userId!);
      const [first] = await receiver.waitFor(1);
      const [original] = await until(
        () => deliveriesOf(endpoint.id),
        (rows) => rows[0]?.status === 'succeeded',
      );
      await db.as(owner, (sql) => sql`select public.replay_webhook_delivery(${original!.id})`);
      const [, second] = await receiver.waitFor(2);
      expect(second!.id).not.toBe(first!.id);
      expect(second!.payload.id).toBe(first!.payload.id);
      expect(second!.body).toBe(first!.body);
    } finally {
      await receiver.close();
    }
  });

  it('during a rotation, receivers holding the old or the new secret both verify', async () => {
    const receiver = await startWebhookReceiver();
    try {
      const { owner, endpoint } = await ownerWithReceiver(receiver, ['call.started']);
      const [row] = await db.as(owner, (sql) => sql`select public.rotate_webhook_secret(${endpoint.id}) as rotated`);
      receiver.secrets = ['whsec_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=', endpoint.secret, row!.rotated.secret];
      await startCall(db, owner.userId!);
      const [got] = await receiver.waitFor(1);
      expect(got!.signature.split(' ')).toHaveLength(2);
      expect(got!.verifiedWith).toBe(1);
      receiver.secrets = [row!.rotated.secret];
      await startCall(db, owner.userId!);
      expect((await receiver.waitFor(2))[1]!.verifiedWith).toBe(0);
    } finally {
      await receiver.close();
    }
  });

  it('two dispatchers share the work and deliver each event once', async () => {
    const receiver = await startWebhookReceiver();
    const second = await startDispatcher({
      databaseUrl: db.url,
      allowHttp: true,
      allowPrivate: true,
      log,
      pollIntervalMs: 100,
    });
    try {
      const { owner } = await ownerWithReceiver(receiver, ['call.started']);
      for (let i = 0; i < 40; i += 1) await startCall(db, owner.userId!);
      const got = await receiver.waitFor(40);
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(receiver.requests).toHaveLength(40);
      expect(new Set(got.map((r) => r.id)).size).toBe(40);
    } finally {
      await second.stop();
      await receiver.close();
    }
  });
});
