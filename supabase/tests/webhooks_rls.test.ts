// Webhooks as a security boundary: owners see and change only their own endpoints, events and
// deliveries; no API role (owner, stranger, anon, service_role) reads a signing secret.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../../test/db/harness.ts';
import { anonPersona, type Persona, serviceRolePersona } from '../../test/db/personas.ts';
import { type CreatedEndpoint, createEndpoint, startCall } from '../../test/db/webhooks.ts';

let db: TestDatabase;
let owner: Persona;
let stranger: Persona;
let endpoint: CreatedEndpoint;
let deliveryId: string;

beforeAll(async () => {
  db = await createTestDatabase();
  owner = await db.createUser();
  stranger = await db.createUser();
  endpoint = await createEndpoint(db, owner);
  await startCall(db, owner.userId!);
  const [delivery] = await db.sql<
    { id: string }[]
  >`select id from public.webhook_deliveries where endpoint_id = ${endpoint.id}`;
  deliveryId = delivery!.id;
});
afterAll(() => db.close());

const TABLES = ['webhook_endpoints', 'webhook_events', 'webhook_deliveries'];
const count = (persona: Persona, table: string) =>
  db.as(persona, async (sql) => (await sql.unsafe(`select count(*)::int as n from public.${table}`))[0]!.n as number);

describe('webhook reads', () => {
  it.each(TABLES)('the owner reads their own %s', async (table) => {
    expect(await count(owner, table)).toBe(1);
  });
  it.each(TABLES)("a stranger sees none of the owner's %s, without an error", async (table) => {
    expect(await count(stranger, table)).toBe(0);
  });
  it.each(TABLES)('anon is refused %s', async (table) => {
    await expect(count(anonPersona(), table)).rejects.toMatchObject({ code: '42501' });
  });
  it.each(TABLES)('service_role reads all %s', async (table) => {
    expect(await count(serviceRolePersona(), table)).toBe(1);
  });
});

describe('webhook secrets', () => {
  it('are whsec_ and standard padded base64 of 32 bytes, shown once on create', () => {
    expect(endpoint.secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    expect(Buffer.from(endpoint.secret.slice(6), 'base64')).toHaveLength(32);
  });

  it.each([
    ['owner', () => owner],
    ['stranger', () => stranger],
    ['anon', () => anonPersona()],
    ['service_role', () => serviceRolePersona()],
  ])('%s cannot read them', async (_name, persona) => {
    await expect(db.as(persona(), (sql) => sql`select secret from private.webhook_secrets`)).rejects.toMatchObject({
      code: '42501',
    });
  });

  it('are not a column of any API-visible table', async () => {
    const columns = await db.sql`select table_name, column_name from information_schema.columns
      where table_schema = 'public' and table_name like 'webhook%' and column_name like '%secret%' and column_name <> 'secret_rotated_at'`;
    expect(columns).toEqual([]);
  });

  it('rotate shows a new secret once and keeps the old one signing for 24 h', async () => {
    const [row] = await db.as(owner, (sql) => sql`select public.rotate_webhook_secret(${endpoint.id}) as rotated`);
    const rotated = row!.rotated as { secret: string; previous_secret_expires_at: string };
    expect(rotated.secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    expect(rotated.secret).not.toBe(endpoint.secret);
    const hours = (Date.parse(rotated.previous_secret_expires_at) - Date.now()) / 3_600_000;
    expect(hours).toBeGreaterThan(23.9);
    expect(hours).toBeLessThanOrEqual(24);
    const [send] = await db.sql`select secrets from private.webhook_delivery_to_send(${deliveryId})`;
    expect(send!.secrets).toEqual([rotated.secret, endpoint.secret]);
  });

  it("a stranger cannot rotate the owner's secret", async () => {
    await expect(
      db.as(stranger, (sql) => sql`select public.rotate_webhook_secret(${endpoint.id})`),
    ).rejects.toMatchObject({ code: 'P0002' });
  });

  it('anon cannot create endpoints or rotate secrets', async () => {
    await expect(
      db.as(
        anonPersona(),
        (sql) => sql`select public.create_webhook_endpoint('https://x.example.test', '{call.started}')`,
      ),
    ).rejects.toMatchObject({ code: '42501' });
    await expect(
      db.as(anonPersona(), (sql) => sql`select public.rotate_webhook_secret(${endpoint.id})`),
    ).rejects.toMatchObject({ code: '42501' });
  });
});

describe('webhook writes', () => {
  it('the owner updates and deletes their own endpoint', async () => {
    const mine = await createEndpoint(db, owner, { url: 'https://temp.example.test/' });
    const updated = await db.as(
      owner,
      (sql) =>
        sql`update public.webhook_endpoints set events = '{call.ended}', enabled = false where id = ${mine.id} returning events`,
    );
    expect(updated[0]!.events).toEqual(['call.ended']);
    const deleted = await db.as(
      owner,
      (sql) => sql`delete from public.webhook_endpoints where id = ${mine.id} returning id`,
    );
    expect(deleted).toHaveLength(1);
  });

  it("a stranger's update and delete of the owner's endpoint change nothing", async () => {
    expect(
      await db.as(
        stranger,
        (sql) =>
          sql`update public.webhook_endpoints set url = 'https://evil.example.test' where id = ${endpoint.id} returning id`,
      ),
    ).toEqual([]);
    expect(
      await db.as(stranger, (sql) => sql`delete from public.webhook_endpoints where id = ${endpoint.id} returning id`),
    ).toEqual([]);
    const [row] = await db.sql`select url from public.webhook_endpoints where id = ${endpoint.id}`;
    expect(row!.url).toBe('https://hooks.example.test/switchboard');
  });

  it('owners cannot insert endpoints, events or deliveries directly, nor set failure fields', async () => {
    await expect(
      db.as(
        owner,
        (sql) =>
          sql`insert into public.webhook_endpoints (owner_id, url, events) values (${owner.userId!}, 'https://x.example.test', '{call.started}')`,
      ),
    ).rejects.toMatchObject({ code: '42501' });
    await expect(
      db.as(
        owner,
        (sql) =>
          sql`insert into public.webhook_deliveries (owner_id, endpoint_id, event_id) select owner_id, endpoint_id, event_id from public.webhook_deliveries`,
      ),
    ).rejects.toMatchObject({ code: '42501' });
    await expect(
      db.as(
        owner,
        (sql) =>
          sql`update public.webhook_endpoints set failing_since = null, disabled_reason = null where id = ${endpoint.id}`,
      ),
    ).rejects.toMatchObject({ code: '42501' });
    await expect(
      db.as(owner, (sql) => sql`update public.webhook_deliveries set status = 'succeeded' where id = ${deliveryId}`),
    ).rejects.toMatchObject({ code: '42501' });
  });

  it("replays only the owner's own deliveries", async () => {
    await expect(
      db.as(stranger, (sql) => sql`select public.replay_webhook_delivery(${deliveryId})`),
    ).rejects.toMatchObject({ code: 'P0002' });
    const [row] = await db.as(owner, (sql) => sql`select public.replay_webhook_delivery(${deliveryId}) as id`);
    const [replay] =
      await db.sql`select replay_of, event_id, status from public.webhook_deliveries where id = ${row!.id}`;
    expect(replay).toMatchObject({ replay_of: deliveryId, status: 'pending' });
  });
});
