import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../../test/db/harness.ts';
import { createEndpoint, startCall } from '../../test/db/webhooks.ts';
import { startWebhookReceiver, type WebhookReceiver } from '../../test/fakes/webhook_receiver.ts';
import { DISPATCHER_DEV_SERVICE } from './dev_service.ts';

let db: TestDatabase;
let receiver: WebhookReceiver;
beforeAll(async () => {
  db = await createTestDatabase();
  receiver = await startWebhookReceiver();
});
afterAll(async () => {
  await receiver.close();
  await db.close();
});

describe('npm run dev: the webhook dispatcher', () => {
  it('delivers to a local http receiver, then stops', async () => {
    const owner = await db.createUser();
    const endpoint = await createEndpoint(db, owner, { url: receiver.url, events: ['call.started'] });
    receiver.secrets = [endpoint.secret];
    const started = await DISPATCHER_DEV_SERVICE.start({
      databaseUrl: db.url,
      env: { PATH: process.env.PATH, LOG_LEVEL: 'silent' },
    });
    if (!('summary' in started)) throw new Error(`not started: ${started.skipped}`);
    try {
      expect(started.summary).toMatch(
        /^dispatcher \(pid \d+\), 32 deliveries at a time, http and local addresses allowed$/,
      );
      await startCall(db, owner.userId!);
      const [got] = await receiver.waitFor(1, 20_000);
      expect(got!.verifiedWith).toBe(0);
    } finally {
      await started.stop();
    }
  }, 30_000);

  it('names a bad setting instead of starting', async () => {
    const result = await DISPATCHER_DEV_SERVICE.start({
      databaseUrl: db.url,
      env: { WEBHOOKS_RETRY_DELAYS_MS: 'soon' },
    });
    expect(result).toEqual({ skipped: expect.stringContaining('WEBHOOKS_RETRY_DELAYS_MS') });
  });
});
