// Successes recorded in batches: many attempts that finish together share one statement, each
// caller learns its own outcome, the endpoint's failure clock stops, and a failed write fails
// every attempt in it (so the queue retries them). Real database; the pool is only counted.
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../test/db/harness.ts';
import { createEndpoint, startCall } from '../test/db/webhooks.ts';
import type { Queryable } from './queryable.ts';
import { createSuccessBatcher } from './success_batch.ts';

let db: TestDatabase;
let pool: pg.Pool;
let statements = 0;
const counted: Queryable = {
  query: (text, values) => {
    statements += 1;
    return pool.query(text, values) as never;
  },
};

beforeAll(async () => {
  db = await createTestDatabase();
  pool = new pg.Pool({ connectionString: db.url, max: 4 });
});
afterAll(async () => {
  await pool.end();
  await db.close();
});

async function pendingDeliveries(count: number) {
  const owner = await db.createUser();
  const endpoint = await createEndpoint(db, owner, { events: ['call.started'] });
  for (let i = 0; i < count; i += 1) await startCall(db, owner.userId!);
  const rows = await db.sql<
    { id: string }[]
  >`select id from public.webhook_deliveries where endpoint_id = ${endpoint.id}`;
  return { endpointId: endpoint.id, ids: rows.map((r) => r.id) };
}

describe('createSuccessBatcher', () => {
  it('records 50 successes finishing together in at most 2 statements, each with its outcome', async () => {
    const { endpointId, ids } = await pendingDeliveries(50);
    await db.sql`update public.webhook_endpoints set failing_since = now() - interval '1 hour' where id = ${endpointId}`;
    await db.sql`update public.webhook_deliveries set status = 'cancelled', next_attempt_at = null, completed_at = now() where id = ${ids[0]!}`;
    const record = createSuccessBatcher(counted);
    statements = 0;
    const outcomes = await Promise.all(
      ids.map((id, i) => record({ deliveryId: id, statusCode: 200 + (i % 2), durationMs: i, responseBody: `ok ${i}` })),
    );
    expect(statements).toBeLessThanOrEqual(2);
    expect(outcomes[0]).toBeNull();
    expect(outcomes.slice(1).every((o) => o === 'succeeded')).toBe(true);
    const rows =
      await db.sql`select id, status, attempts, status_code, duration_ms, response_body, next_attempt_at, completed_at
                               from public.webhook_deliveries where endpoint_id = ${endpointId}`;
    const byId = new Map(rows.map((r) => [r.id, r]));
    expect(byId.get(ids[0]!)).toMatchObject({ status: 'cancelled', attempts: 0 });
    expect(byId.get(ids[7]!)).toMatchObject({
      status: 'succeeded',
      attempts: 1,
      status_code: 201,
      duration_ms: 7,
      response_body: 'ok 7',
      next_attempt_at: null,
    });
    const [endpoint] = await db.sql`select failing_since from public.webhook_endpoints where id = ${endpointId}`;
    expect(endpoint!.failing_since).toBeNull();
  });

  it('a failed write fails every attempt in it, and the next write starts afresh', async () => {
    const { ids } = await pendingDeliveries(2);
    let fail = true;
    const flaky: Queryable = {
      query: (text, values) =>
        fail ? Promise.reject(new Error('connection lost')) : (pool.query(text, values) as never),
    };
    const record = createSuccessBatcher(flaky);
    await expect(record({ deliveryId: ids[0]!, statusCode: 204, durationMs: 1, responseBody: '' })).rejects.toThrow(
      'connection lost',
    );
    fail = false;
    await expect(record({ deliveryId: ids[0]!, statusCode: 204, durationMs: 1, responseBody: '' })).resolves.toBe(
      'succeeded',
    );
  });
});
