// The dispatcher under faults, each on its own database: killed mid-delivery (SIGKILL, a real
// process), the database unreachable when an event comes due, an endpoint failing past the limit.
import { spawn } from 'node:child_process';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../test/db/harness.ts';
import { createEndpoint, startCall } from '../test/db/webhooks.ts';
import { startTcpProxy } from '../test/fakes/tcp_proxy.ts';
import { startWebhookReceiver, type WebhookReceiver } from '../test/fakes/webhook_receiver.ts';
import { type Dispatcher, startDispatcher } from './dispatcher.ts';
import { createLog } from './log.ts';

const log = createLog('silent');
const MAIN = path.join(import.meta.dirname, 'main.ts');
let db: TestDatabase;
let receiver: WebhookReceiver;
const cleanup: (() => Promise<unknown> | unknown)[] = [];

beforeEach(async () => {
  db = await createTestDatabase();
  receiver = await startWebhookReceiver();
});
afterEach(async () => {
  for (const step of cleanup.splice(0).reverse()) await step();
  await receiver.close();
  await db.close();
});

async function ownerWithEndpoint(events = ['call.started']) {
  const owner = await db.createUser();
  const endpoint = await createEndpoint(db, owner, { url: receiver.url, events });
  receiver.secrets = [endpoint.secret];
  return { owner, endpoint };
}
async function dispatcher(options: Partial<Parameters<typeof startDispatcher>[0]> = {}): Promise<Dispatcher> {
  const started = await startDispatcher({
    databaseUrl: db.url,
    allowHttp: true,
    allowPrivate: true,
    pollIntervalMs: 100,
    log,
    ...options,
  });
  cleanup.push(() => started.stop());
  return started;
}

describe('dispatcher faults', () => {
  it('a dispatcher killed mid-delivery: another one retries the job, with the same webhook-id', async () => {
    const { owner } = await ownerWithEndpoint();
    receiver.script({ hang: true });
    const child = spawn(process.execPath, [MAIN], {
      env: {
        ...process.env,
        DATABASE_URL: db.url,
        WEBHOOKS_ALLOW_HTTP: '1',
        WEBHOOKS_ALLOW_PRIVATE: '1',
        WEBHOOKS_POLL_INTERVAL_MS: '100',
        LOG_LEVEL: 'silent',
      },
      stdio: 'ignore',
    });
    cleanup.push(() => child.kill('SIGKILL'));
    await startCall(db, owner.userId!);
    const [first] = await receiver.waitFor(1, 20_000);
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGKILL');
    await exited;
    await dispatcher({ staleLockMs: 500, sweepIntervalMs: 200 });
    const [, retried] = await receiver.waitFor(2, 15_000);
    expect(retried!.id).toBe(first!.id);
    expect(retried!.body).toBe(first!.body);
    expect(retried!.verifiedWith).toBe(0);
  }, 40_000);

  it('the database unreachable when an event is due: delivered once it is back', async () => {
    const { owner } = await ownerWithEndpoint();
    const url = new URL(db.url);
    const proxy = await startTcpProxy({ host: url.hostname, port: Number(url.port) });
    cleanup.push(() => proxy.close());
    // A cut during the queue's first task lookup wedges graphile-worker until its runner is
    // replaced (queue_runner.ts); a short stall limit lets that happen within the wait below.
    await dispatcher({ databaseUrl: proxy.rewrite(db.url), sweepIntervalMs: 200, queueStallMs: 2_000 });
    proxy.cut();
    await startCall(db, owner.userId!);
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    expect(receiver.requests).toEqual([]);
    proxy.restore();
    const [got] = await receiver.waitFor(1, 20_000);
    expect(got!.verifiedWith).toBe(0);
    expect(got!.payload.type).toBe('call.started');
  }, 40_000);

  it('an endpoint failing past the limit is disabled, and the owner hears of it on their other endpoints', async () => {
    const healthy = await startWebhookReceiver();
    cleanup.push(() => healthy.close());
    receiver.fallback = { status: 500 };
    const { owner, endpoint: failing } = await ownerWithEndpoint();
    const watcher = await createEndpoint(db, owner, { url: healthy.url, events: ['config_issue.opened'] });
    healthy.secrets = [watcher.secret];
    await dispatcher({ disableAfterMs: 0 });
    await startCall(db, owner.userId!);
    const [issue] = await healthy.waitFor(1);
    expect(issue!.verifiedWith).toBe(0);
    expect(issue!.payload).toMatchObject({
      type: 'config_issue.opened',
      data: { issue: { code: 'webhook_disabled', subject_type: 'webhook_endpoint', subject_id: failing.id } },
    });
    const [endpoint] = await db.as(
      owner,
      (sql) => sql`select enabled, disabled_reason from public.webhook_endpoints where id = ${failing.id}`,
    );
    expect(endpoint).toEqual({ enabled: false, disabled_reason: 'failing' });
    expect(receiver.requests).toHaveLength(1);
  });
});
