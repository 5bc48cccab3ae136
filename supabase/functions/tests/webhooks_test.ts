// The webhooks function against a real database: owners manage their endpoints, see deliveries
// and replay them; secrets appear only in the answers to create and rotate; bad input is a 4xx
// naming the field.
import assert from 'node:assert/strict';
import { loadEnv } from '../_shared/env.ts';
import { createWebhooks, WEBHOOKS_ENV } from '../webhooks/handler.ts';
import { createTestDatabase, json, TEST_JWT_SECRET, userToken } from './harness.ts';

const db = await createTestDatabase();
const env = (extra: Record<string, string> = {}) =>
  loadEnv(WEBHOOKS_ENV, { SUPABASE_DB_URL: db.url, JWT_SECRET: TEST_JWT_SECRET, LOG_LEVEL: 'silent', ...extra });
const app = createWebhooks(env());
const owner = await db.createUser();
const stranger = await db.createUser();
const ownerToken = await userToken(owner);
const strangerToken = await userToken(stranger);
const SECRET = /^whsec_[A-Za-z0-9+/]{43}=$/;

Deno.test.afterAll(async () => {
  await app.close();
  await db.close();
});

function call(method: string, path: string, body?: unknown, token: string | null = ownerToken, target = app) {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (token) headers.authorization = `Bearer ${token}`;
  return target.fetch(
    new Request(`http://localhost/webhooks${path}`, {
      method,
      headers,
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    }),
  );
}
async function createEndpoint(body: Record<string, unknown> = {}, token = ownerToken) {
  const res = await call(
    'POST',
    '/endpoints',
    { url: 'https://hooks.example.com/switchboard', events: ['call.started', 'call.ended'], ...body },
    token,
  );
  assert.equal(res.status, 201);
  return (await res.json()) as { endpoint: { id: string; events: string[] }; secret: string };
}

Deno.test('needs a signed-in user', async () => {
  const res = await call('GET', '/endpoints', undefined, null);
  assert.equal(res.status, 401);
  assert.equal((await json(res)).error?.code, 'unauthorized');
});

Deno.test('create shows the secret once; list never does', async () => {
  const created = await createEndpoint({ description: 'CRM' });
  assert.match(created.secret, SECRET);
  assert.deepEqual(created.endpoint.events, ['call.ended', 'call.started']);
  assert.equal('owner_id' in created.endpoint, false);
  const listed = await call('GET', '/endpoints');
  const text = await listed.text();
  assert.equal(listed.status, 200);
  assert.ok(text.includes(created.endpoint.id));
  assert.ok(!text.includes('whsec_'), 'no secret in the list');
});

Deno.test('refuses bad input with 400 and the field in the message', async () => {
  const cases: [Record<string, unknown>, RegExp][] = [
    [{ url: 'ftp://hooks.example.com/x' }, /^url must start with https:\/\/ \(got ftp:\/\/\)/],
    [{ url: 'http://hooks.example.com/x' }, /url must start with https:\/\//],
    [{ url: `https://hooks.example.com/${'a'.repeat(2048)}` }, /the limit is 2048/],
    [{ url: 'https://127.0.0.1:8080/hook' }, /loopback address/],
    [{ url: 'https://169.254.169.254/latest' }, /cloud metadata address/],
    [{ url: 'https://localhost/hook' }, /local name/],
    [{ url: 42 }, /url must be a string/],
    [
      { events: ['call.finished'] },
      /'call.finished' is not an event; events are call.started, call.ended, message.created, message.updated, config_issue.opened/,
    ],
    [{ events: [] }, /events must name at least one of/],
    [{ secret: 'whsec_mine' }, /unknown field\(s\): secret/],
    [{ description: 'x'.repeat(201) }, /description must be at most 200 characters/],
  ];
  for (const [override, message] of cases) {
    const res = await call('POST', '/endpoints', {
      url: 'https://hooks.example.com/x',
      events: ['call.started'],
      ...override,
    });
    assert.equal(res.status, 400, JSON.stringify(override).slice(0, 80));
    const body = await json(res);
    assert.equal(body.error?.code, 'invalid_request');
    assert.match(body.error?.message ?? '', message);
  }
  const notJson = await app.fetch(
    new Request('http://localhost/webhooks/endpoints', {
      method: 'POST',
      headers: { authorization: `Bearer ${ownerToken}` },
      body: '{',
    }),
  );
  assert.equal(notJson.status, 400);
});

Deno.test('http and local URLs only where the environment allows them (local development)', async () => {
  const dev = createWebhooks(env({ WEBHOOKS_ALLOW_HTTP: '1', WEBHOOKS_ALLOW_PRIVATE: '1' }));
  try {
    const res = await call(
      'POST',
      '/endpoints',
      { url: 'http://127.0.0.1:9999/hook', events: ['call.started'] },
      ownerToken,
      dev,
    );
    assert.equal(res.status, 201);
  } finally {
    await dev.close();
  }
});

Deno.test('update, rotate and delete, for the owner only', async () => {
  const { endpoint, secret } = await createEndpoint();
  const updated = await call('PATCH', `/endpoints/${endpoint.id}`, { events: ['message.created'], enabled: false });
  assert.equal(updated.status, 200);
  assert.deepEqual(((await json(updated)).endpoint as { events: string[] }).events, ['message.created']);
  const [row] = await db.sql`select events, enabled from public.webhook_endpoints where id = ${endpoint.id}`;
  assert.deepEqual(row, { events: ['message.created'], enabled: false });
  assert.equal((await call('PATCH', `/endpoints/${endpoint.id}`, {})).status, 400);

  const foreign = await call('PATCH', `/endpoints/${endpoint.id}`, { enabled: true }, strangerToken);
  assert.equal(foreign.status, 404);
  assert.equal((await call('POST', `/endpoints/${endpoint.id}/rotate`, undefined, strangerToken)).status, 404);
  assert.equal((await call('DELETE', `/endpoints/${endpoint.id}`, undefined, strangerToken)).status, 404);

  const rotated = await call('POST', `/endpoints/${endpoint.id}/rotate`);
  const body = await json(rotated);
  assert.equal(rotated.status, 200);
  assert.match(body.secret as string, SECRET);
  assert.notEqual(body.secret, secret);
  assert.ok(Date.parse(body.previous_secret_expires_at as string) > Date.now() + 23.9 * 3_600_000);

  assert.equal((await call('DELETE', `/endpoints/${endpoint.id}`)).status, 204);
  assert.equal((await call('DELETE', `/endpoints/${endpoint.id}`)).status, 404);
  assert.equal((await call('DELETE', '/endpoints/not-a-uuid')).status, 404);
});

Deno.test('deliveries: the owner lists and replays them; a stranger sees nothing', async () => {
  const { endpoint } = await createEndpoint();
  await db.sql`insert into public.calls (room_name, owner_id, config_source) values ('r', ${owner}, 'database')`;
  const res = await call('GET', `/endpoints/${endpoint.id}/deliveries?limit=10`);
  assert.equal(res.status, 200);
  const [delivery] = (await json(res)).deliveries as {
    id: string;
    webhook_id: string;
    event_type: string;
    status: string;
  }[];
  assert.equal(delivery!.event_type, 'call.started');
  assert.equal(delivery!.webhook_id, `msg_${delivery!.id}`);
  assert.equal(delivery!.status, 'pending');
  assert.equal((await call('GET', `/endpoints/${endpoint.id}/deliveries`, undefined, strangerToken)).status, 404);
  assert.equal((await call('GET', `/endpoints/${endpoint.id}/deliveries?limit=500`)).status, 400);
  const older = await json(await call('GET', `/endpoints/${endpoint.id}/deliveries?before=2000-01-01T00:00:00Z`));
  assert.deepEqual(older.deliveries, []);
  assert.equal((await call('POST', `/deliveries/${delivery!.id}/replay`, undefined, strangerToken)).status, 404);

  const replayed = await call('POST', `/deliveries/${delivery!.id}/replay`);
  assert.equal(replayed.status, 202);
  const replayId = (await json(replayed)).delivery_id as string;
  const [replay] = await db.sql`select replay_of from public.webhook_deliveries where id = ${replayId}`;
  assert.equal(replay!.replay_of, delivery!.id);

  await call('PATCH', `/endpoints/${endpoint.id}`, { enabled: false });
  const refused = await call('POST', `/deliveries/${delivery!.id}/replay`);
  assert.equal(refused.status, 422);
  assert.match((await json(refused)).error?.message ?? '', /disabled.*Enable the endpoint, then replay/);
});

Deno.test('routes: unknown paths are 404, wrong methods 405, event types listed', async () => {
  assert.equal((await call('GET', '/nothing')).status, 404);
  const wrong = await call('PUT', '/endpoints');
  assert.equal(wrong.status, 405);
  assert.equal((await call('GET', '/endpoints/00000000-0000-0000-0000-000000000000/rotate')).status, 405);
  const events = await json(await call('GET', '/events'));
  assert.deepEqual(events.events, [
    'call.started',
    'call.ended',
    'message.created',
    'message.updated',
    'config_issue.opened',
  ]);
});

Deno.test('an unreachable database is a 503 with Retry-After, never a 500', async () => {
  const down = createWebhooks(
    loadEnv(WEBHOOKS_ENV, {
      SUPABASE_DB_URL: 'postgres://postgres@127.0.0.1:1/none',
      JWT_SECRET: TEST_JWT_SECRET,
      LOG_LEVEL: 'silent',
      DB_CONNECT_TIMEOUT_MS: '500',
    }),
  );
  try {
    const res = await call('GET', '/endpoints', undefined, ownerToken, down);
    assert.equal(res.status, 503);
    assert.ok(res.headers.get('retry-after'));
    assert.equal((await json(res)).error?.code, 'unavailable');
  } finally {
    await down.close();
  }
});
