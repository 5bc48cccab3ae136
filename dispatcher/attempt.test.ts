// One attempt through the database with no queue running: the delivery-time address check.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../test/db/harness.ts';
import { createEndpoint } from '../test/db/webhooks.ts';
import { startWebhookReceiver, type WebhookReceiver } from '../test/fakes/webhook_receiver.ts';
import { type AttemptSettings, attemptDelivery } from './attempt.ts';
import type { Queryable } from './queryable.ts';

let db: TestDatabase;
let receiver: WebhookReceiver;
let queryable: Queryable;

beforeAll(async () => {
  db = await createTestDatabase();
  receiver = await startWebhookReceiver();
  queryable = { query: async (text, values) => ({ rows: (await db.sql.unsafe(text, values as never[])) as never[] }) };
});
afterAll(async () => {
  await receiver.close();
  await db.close();
});

const settings = (allowPrivate: boolean): AttemptSettings => ({
  destination: { policy: { allowHttp: true, allowPrivate }, timeoutMs: 1_000 },
  timeoutMs: 1_000,
  retryDelaysMs: [60_000],
  disableAfterMs: 86_400_000,
});

async function pendingDelivery(url: string): Promise<string> {
  const owner = await db.createUser();
  const endpoint = await createEndpoint(db, owner, { url, events: ['message.created'] });
  receiver.secrets = [endpoint.secret];
  await db.sql`select private.enqueue_webhook_event(${owner.userId!}, 'message.created', '{"message": {"body": "hi"}}')`;
  const [delivery] = await db.sql<
    { id: string }[]
  >`select id from public.webhook_deliveries where endpoint_id = ${endpoint.id}`;
  return delivery!.id;
}

describe('attemptDelivery', () => {
  it('refuses a loopback destination unless private addresses are allowed, and records why', async () => {
    const deliveryId = await pendingDelivery(receiver.url);
    const refused = await attemptDelivery(queryable, deliveryId, settings(false));
    expect(refused).toMatchObject({ status: 'pending', result: { ok: false, statusCode: null } });
    expect(refused.result!.error).toContain('127.0.0.1');
    expect(receiver.requests).toEqual([]);
    const [row] = await db.sql`select error, attempts from public.webhook_deliveries where id = ${deliveryId}`;
    expect(row).toMatchObject({ attempts: 1, error: expect.stringContaining('loopback') });
  });

  it('a public-looking name that resolves to loopback is refused at delivery (rebinding)', async () => {
    const deliveryId = await pendingDelivery(`http://localtest.example.com:${receiver.port}/hooks`);
    await db.sql`update public.webhook_deliveries set next_attempt_at = now() where id = ${deliveryId}`;
    const report = await attemptDelivery(queryable, deliveryId, {
      ...settings(false),
      destination: {
        policy: { allowHttp: true, allowPrivate: false },
        timeoutMs: 1_000,
        resolver: async () => [{ address: '127.0.0.1', family: 4 }],
      },
    });
    expect(report.result!.error).toBe(
      'localtest.example.com resolves to 127.0.0.1, a loopback address; webhooks go to public addresses only',
    );
    expect(receiver.requests).toEqual([]);
  });

  it('sends when private addresses are allowed (development), then skips the settled delivery', async () => {
    const deliveryId = await pendingDelivery(receiver.url);
    expect(await attemptDelivery(queryable, deliveryId, settings(true))).toMatchObject({ status: 'succeeded' });
    expect(receiver.requests.at(-1)!.verifiedWith).toBe(0);
    expect(await attemptDelivery(queryable, deliveryId, settings(true))).toEqual({ deliveryId, status: 'skipped' });
    expect(receiver.requests).toHaveLength(1);
  });
});
