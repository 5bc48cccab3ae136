// What the dispatcher records after each attempt: retries stay pending with the next attempt
// scheduled, the last failure settles the delivery, a success clears the endpoint's failure clock,
// and an endpoint failing for longer than the limit is turned off with a config issue for its owner.
import { runMigrations } from 'graphile-worker';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../../test/db/harness.ts';
import type { Persona } from '../../test/db/personas.ts';
import { createEndpoint, startCall } from '../../test/db/webhooks.ts';

const DAY_MS = 24 * 60 * 60 * 1000;
let db: TestDatabase;

beforeAll(async () => {
  db = await createTestDatabase();
  await runMigrations({ connectionString: db.url });
});
afterAll(() => db.close());

interface Setup {
  owner: Persona;
  endpointId: string;
  deliveryId: string;
}
async function pendingDelivery(): Promise<Setup> {
  const owner = await db.createUser();
  const { id: endpointId } = await createEndpoint(db, owner, { events: ['call.started'] });
  await startCall(db, owner.userId!);
  const [row] = await db.sql<
    { id: string }[]
  >`select id from public.webhook_deliveries where endpoint_id = ${endpointId}`;
  return { owner, endpointId, deliveryId: row!.id };
}

function record(
  deliveryId: string,
  outcome: { ok: boolean; next?: Date | null; disableAfterMs?: number; body?: string },
) {
  return db.sql<
    { status: string | null }[]
  >`select private.record_webhook_attempt(${deliveryId}, ${outcome.ok}, ${outcome.ok ? 204 : 500}, 12,
    ${outcome.ok ? null : 'HTTP 500'}, ${outcome.body ?? null}, ${outcome.next ?? null}, ${outcome.disableAfterMs ?? DAY_MS}) as status`;
}
const delivery = async (id: string) => (await db.sql`select * from public.webhook_deliveries where id = ${id}`)[0]!;
const endpoint = async (id: string) => (await db.sql`select * from public.webhook_endpoints where id = ${id}`)[0]!;

describe('record_webhook_attempt', () => {
  it('a failure with attempts left stays pending, scheduled for the next attempt', async () => {
    const { endpointId, deliveryId } = await pendingDelivery();
    const next = new Date(Date.now() + 5_000);
    expect((await record(deliveryId, { ok: false, next, body: 'busy' }))[0]!.status).toBe('pending');
    expect(await delivery(deliveryId)).toMatchObject({
      status: 'pending',
      attempts: 1,
      status_code: 500,
      error: 'HTTP 500',
      response_body: 'busy',
      duration_ms: 12,
    });
    const [job] = await db.sql`select run_at from graphile_worker.jobs where key = ${`webhook_delivery:${deliveryId}`}`;
    expect(job!.run_at.getTime()).toBe(next.getTime());
    expect((await endpoint(endpointId)).failing_since).not.toBeNull();
  });

  it('the last failure settles the delivery as failed', async () => {
    const { deliveryId } = await pendingDelivery();
    expect((await record(deliveryId, { ok: false, next: null }))[0]!.status).toBe('failed');
    expect(await delivery(deliveryId)).toMatchObject({ status: 'failed', next_attempt_at: null });
  });

  it('a success settles the delivery and clears the failure clock', async () => {
    const { endpointId, deliveryId } = await pendingDelivery();
    await record(deliveryId, { ok: false, next: new Date() });
    expect((await record(deliveryId, { ok: true }))[0]!.status).toBe('succeeded');
    expect((await endpoint(endpointId)).failing_since).toBeNull();
    expect((await delivery(deliveryId)).attempts).toBe(2);
  });

  it('an attempt on a settled delivery changes nothing', async () => {
    const { deliveryId } = await pendingDelivery();
    await record(deliveryId, { ok: true });
    expect((await record(deliveryId, { ok: false, next: new Date() }))[0]!.status).toBeNull();
    expect(await delivery(deliveryId)).toMatchObject({ status: 'succeeded', attempts: 1 });
  });

  it('refuses a response body over 1 KB', async () => {
    const { deliveryId } = await pendingDelivery();
    await expect(record(deliveryId, { ok: false, next: new Date(), body: 'x'.repeat(1025) })).rejects.toMatchObject({
      code: '23514',
    });
  });
});

describe('an endpoint failing for too long', () => {
  it('is disabled, its pending deliveries cancelled, and its owner gets a webhook_disabled issue', async () => {
    const { owner, endpointId, deliveryId } = await pendingDelivery();
    await startCall(db, owner.userId!);
    await record(deliveryId, { ok: false, next: new Date() });
    await db.sql`update public.webhook_endpoints set failing_since = now() - interval '25 hours' where id = ${endpointId}`;
    expect((await record(deliveryId, { ok: false, next: new Date() }))[0]!.status).toBe('cancelled');
    expect(await endpoint(endpointId)).toMatchObject({ enabled: false, disabled_reason: 'failing' });
    const statuses = await db.sql`select status from public.webhook_deliveries where endpoint_id = ${endpointId}`;
    expect(statuses.map((s) => s.status)).toEqual(['cancelled', 'cancelled']);
    const issues = await db.as(
      owner,
      (sql) => sql`select code, subject_type, message from public.config_issues where resolved_at is null`,
    );
    expect(issues).toEqual([expect.objectContaining({ code: 'webhook_disabled', subject_type: 'webhook_endpoint' })]);
    expect(issues[0]!.message).toContain('https://hooks.example.test/switchboard');
  });

  it('gets its issue resolved and its clock reset when the owner enables it again', async () => {
    const { owner, endpointId, deliveryId } = await pendingDelivery();
    await record(deliveryId, { ok: false, next: new Date(), disableAfterMs: 0 });
    expect((await endpoint(endpointId)).enabled).toBe(false);
    await db.as(owner, (sql) => sql`update public.webhook_endpoints set enabled = true where id = ${endpointId}`);
    expect(await endpoint(endpointId)).toMatchObject({ enabled: true, disabled_reason: null, failing_since: null });
    const open =
      await db.sql`select 1 from public.config_issues where subject_id = ${endpointId} and resolved_at is null`;
    expect(open).toEqual([]);
  });

  it('a delivery whose endpoint the owner turned off is cancelled instead of sent', async () => {
    const { owner, endpointId, deliveryId } = await pendingDelivery();
    await db.as(owner, (sql) => sql`update public.webhook_endpoints set enabled = false where id = ${endpointId}`);
    expect(await db.sql`select * from private.webhook_delivery_to_send(${deliveryId})`).toEqual([]);
    expect((await delivery(deliveryId)).status).toBe('cancelled');
  });

  it('a delivery not yet due is not sent (a stale job)', async () => {
    const { deliveryId } = await pendingDelivery();
    await record(deliveryId, { ok: false, next: new Date(Date.now() + 60_000) });
    expect(await db.sql`select * from private.webhook_delivery_to_send(${deliveryId})`).toEqual([]);
  });
});
