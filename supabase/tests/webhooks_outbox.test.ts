// The webhook outbox: events are enqueued in the transaction of the change that causes them (and
// vanish with its rollback), fan out to subscribed, enabled endpoints, and schedule one queue job
// per delivery. Bad endpoint input is refused with a message naming the value.
import { runMigrations } from 'graphile-worker';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../../test/db/harness.ts';
import { type Persona, serviceRolePersona } from '../../test/db/personas.ts';
import { createEndpoint, startCall } from '../../test/db/webhooks.ts';

let db: TestDatabase;

beforeAll(async () => {
  db = await createTestDatabase();
});
afterAll(() => db.close());

const eventsOf = (ownerId: string) =>
  db.sql<
    { id: string; type: string; data: Record<string, any> }[]
  >`select id, type, data from public.webhook_events where owner_id = ${ownerId} order by created_at, type`;
const deliveriesOf = (endpointId: string) =>
  db.sql<
    { id: string; status: string; event_id: string }[]
  >`select id, status, event_id from public.webhook_deliveries where endpoint_id = ${endpointId} order by created_at`;

async function ownerWithEndpoint(events?: string[]): Promise<{ owner: Persona; endpointId: string }> {
  const owner = await db.createUser();
  const { id } = await createEndpoint(db, owner, events ? { events } : {});
  return { owner, endpointId: id };
}

describe('events from calls', () => {
  it('call.started is enqueued by the worker inserting the call, with the call in data', async () => {
    const { owner, endpointId } = await ownerWithEndpoint();
    const [row] = await db.as(
      serviceRolePersona(),
      (sql) =>
        sql`select public.record_call_start(${sql.json({ room_name: 'call-_1', owner_id: owner.userId!, config_source: 'database', caller_number: '+15550001111', dialed_number: '+15550100' })}) as id`,
    );
    const [event] = await eventsOf(owner.userId!);
    expect(event!.type).toBe('call.started');
    expect(event!.data.call).toMatchObject({
      id: row!.id,
      caller_number: '+15550001111',
      dialed_number: '+15550100',
      ended_at: null,
    });
    expect(event!.data.call.started_at).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    expect(await deliveriesOf(endpointId)).toMatchObject([{ status: 'pending', event_id: event!.id }]);
  });

  it('a rolled-back call leaves no event and no delivery', async () => {
    const { owner, endpointId } = await ownerWithEndpoint();
    await expect(
      db.sql.begin(async (sql) => {
        await sql`insert into public.calls (room_name, owner_id, config_source) values ('r', ${owner.userId!}, 'database')`;
        throw new Error('rollback');
      }),
    ).rejects.toThrow('rollback');
    expect(await eventsOf(owner.userId!)).toEqual([]);
    expect(await deliveriesOf(endpointId)).toEqual([]);
  });

  it('call.ended is not enqueued when ended_at is set while the analysis is pending', async () => {
    // It goes out once the analysis is settled: webhooks_call_outcomes.test.ts.
    const { owner } = await ownerWithEndpoint(['call.ended']);
    const callId = await startCall(db, owner.userId!);
    const end = { ended_at: new Date().toISOString(), end_reason: 'caller_hangup', turns: 3 };
    await db.as(serviceRolePersona(), (sql) => sql`select public.record_call_end(${callId}, ${sql.json(end)})`);
    expect(await eventsOf(owner.userId!)).toEqual([]);
  });

  it('an owner without endpoints stores no events', async () => {
    const owner = await db.createUser();
    await startCall(db, owner.userId!);
    expect(await eventsOf(owner.userId!)).toEqual([]);
  });

  it('fans out only to enabled endpoints subscribed to the event', async () => {
    const owner = await db.createUser();
    const wants = await createEndpoint(db, owner, { events: ['call.started'] });
    const other = await createEndpoint(db, owner, { events: ['call.ended'] });
    const off = await createEndpoint(db, owner, { events: ['call.started'] });
    await db.as(owner, (sql) => sql`update public.webhook_endpoints set enabled = false where id = ${off.id}`);
    await startCall(db, owner.userId!);
    expect(await deliveriesOf(wants.id)).toHaveLength(1);
    expect(await deliveriesOf(other.id)).toEqual([]);
    expect(await deliveriesOf(off.id)).toEqual([]);
  });
});

describe('other events', () => {
  it('config_issue.opened when an issue opens, not when it is seen again', async () => {
    const { owner } = await ownerWithEndpoint(['config_issue.opened']);
    const [config] = await db.as(
      owner,
      (sql) => sql`insert into public.agent_configs (name, system_prompt) values ('Empty', '') returning id`,
    );
    await db.as(owner, (sql) => sql`update public.agent_configs set name = 'Still empty' where id = ${config!.id}`);
    const events = await eventsOf(owner.userId!);
    expect(events).toHaveLength(1);
    expect(events[0]!.data.issue).toMatchObject({
      code: 'prompt_empty',
      subject_type: 'agent_config',
      subject_id: config!.id,
      severity: 'warning',
    });
  });

  it('message.created goes through the outbox helper a messages writer calls', async () => {
    const { owner, endpointId } = await ownerWithEndpoint(['message.created']);
    const data = { message: { id: crypto.randomUUID(), call_id: null, caller_name: 'Dana', body: 'Call me back' } };
    await db.sql`select private.enqueue_webhook_event(${owner.userId!}, 'message.created', ${db.sql.json(data)})`;
    expect((await eventsOf(owner.userId!))[0]).toMatchObject({ type: 'message.created', data });
    expect(await deliveriesOf(endpointId)).toHaveLength(1);
  });
});

describe('endpoint input', () => {
  let owner: Persona;
  beforeAll(async () => {
    owner = await db.createUser();
  });
  const create = (url: string, events: string[]) =>
    db.as(owner, (sql) => sql`select public.create_webhook_endpoint(${url}, ${events}::text[])`);

  it.each([
    ['ftp://hooks.example.test/x', 'must start with https://'],
    ['javascript:alert(1)', 'must start with https://'],
    [`https://hooks.example.test/${'a'.repeat(2048)}`, 'the limit is 2048'],
  ])('refuses the URL %s', async (url, message) => {
    await expect(create(url, ['call.started'])).rejects.toMatchObject({
      code: '23514',
      message: expect.stringContaining(message),
    });
  });

  it('refuses an event that does not exist, naming it and listing the real ones', async () => {
    await expect(create('https://hooks.example.test', ['call.started', 'call.finished'])).rejects.toMatchObject({
      code: '23514',
      message: "webhook_endpoints.events 'call.finished' is not an event",
      hint: expect.stringContaining('call.started, call.ended, message.created, message.updated, config_issue.opened'),
    });
    await expect(create('https://hooks.example.test', [])).rejects.toMatchObject({
      message: 'webhook_endpoints.events is empty',
    });
  });

  it('stores events sorted without duplicates', async () => {
    const [row] = await create('https://hooks.example.test', ['call.ended', 'call.started', 'call.ended']);
    expect(row!.create_webhook_endpoint.endpoint.events).toEqual(['call.ended', 'call.started']);
  });

  it('caps endpoints per owner at 20', async () => {
    const busy = await db.createUser();
    for (let i = 0; i < 20; i += 1) await createEndpoint(db, busy);
    await expect(createEndpoint(db, busy)).rejects.toMatchObject({
      message: 'an owner can have at most 20 webhook endpoints',
    });
  });
});

describe('queue jobs', () => {
  it('a delivery made before the queue is installed is scheduled by the sweep, once', async () => {
    const { owner, endpointId } = await ownerWithEndpoint();
    await startCall(db, owner.userId!);
    const [delivery] = await deliveriesOf(endpointId);
    await runMigrations({ connectionString: db.url });
    const first = await db.sql`select private.sweep_webhook_jobs(60000) as result`;
    expect(first[0]!.result.scheduled).toBeGreaterThanOrEqual(1);
    const second = await db.sql`select private.sweep_webhook_jobs(60000) as result`;
    expect(second[0]!.result.scheduled).toBe(0);
    const jobs =
      await db.sql`select task_identifier from graphile_worker.jobs where key = ${`webhook_delivery:${delivery!.id}`}`;
    expect(jobs.map((j) => j.task_identifier)).toEqual(['webhooks.deliver']);
  });

  it('once installed, each new delivery gets its job in the same transaction', async () => {
    const { owner, endpointId } = await ownerWithEndpoint();
    await startCall(db, owner.userId!);
    const [delivery] = await deliveriesOf(endpointId);
    const jobs =
      await db.sql`select payload from graphile_worker._private_jobs where key = ${`webhook_delivery:${delivery!.id}`}`;
    expect(jobs.map((j) => j.payload)).toEqual([{ delivery_id: delivery!.id }]);
  });
});
