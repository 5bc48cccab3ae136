// The edge platform (_shared/): auth, CORS, errors, body validation, database as the caller.
import assert from 'node:assert/strict';
import { SignJWT } from 'jose';
import { z } from 'zod';
import { authOptionsFromEnv, createAuthenticator, isAdmin } from '../_shared/auth.ts';
import { parseJsonBody } from '../_shared/body.ts';
import { createDatabase } from '../_shared/db.ts';
import { loadEnv, PLATFORM_ENV } from '../_shared/env.ts';
import { jsonResponse } from '../_shared/http.ts';
import { setLogLevel } from '../_shared/log.ts';
import { defineFunction } from '../_shared/serve.ts';
import { asymmetricKeys, createTestDatabase, json, serviceRoleToken, TEST_JWT_SECRET, userToken } from './harness.ts';

const db = await createTestDatabase();
const env = loadEnv(PLATFORM_ENV, {
  SUPABASE_DB_URL: db.url,
  JWT_SECRET: TEST_JWT_SECRET,
  SUPABASE_SECRET_KEYS: JSON.stringify({ default: 'sb_secret_test_key' }),
  LOG_LEVEL: 'silent',
});
setLogLevel(env.LOG_LEVEL);
const auth = createAuthenticator(authOptionsFromEnv(env));
const database = createDatabase(env.SUPABASE_DB_URL);
const alice = await db.createUser();
const bob = await db.createUser({ role: 'admin' });
await db.sql`insert into public.agent_configs (owner_id, name) values (${alice}, 'Alice front desk'), (${bob}, 'Bob front desk')`;

const echo = defineFunction({
  name: 'echo',
  methods: ['POST'],
  async handle(req) {
    const caller = await auth.authenticate(req);
    const body = await parseJsonBody(req, z.strictObject({ n: z.number().int().max(10, 'n must be at most 10') }), {
      maxBytes: 256,
    });
    if (body.n === 7) throw new Error('boom: internal detail that must not leak');
    const [row] = await database.asCaller(
      caller,
      (tx) => tx`select count(*)::int as configs from public.agent_configs`,
    );
    return jsonResponse({
      role: caller.role,
      user: caller.userId,
      admin: isAdmin(caller.claims),
      configs: row!.configs,
    });
  },
});

const call = (init: { method?: string; token?: string; body?: string; headers?: Record<string, string> }) =>
  echo(
    new Request('http://localhost/echo', {
      method: init.method ?? 'POST',
      headers: {
        ...(init.token ? { authorization: `Bearer ${init.token}` } : {}),
        'content-type': 'application/json',
        ...init.headers,
      },
      body: init.body,
    }),
  );

Deno.test.afterAll(async () => {
  await database.end();
  await db.close();
});

Deno.test('answers a CORS preflight before any auth', async () => {
  const res = await call({ method: 'OPTIONS' });
  assert.equal(res.status, 204);
  assert.equal(res.headers.get('access-control-allow-origin'), '*');
  assert.match(res.headers.get('access-control-allow-headers') ?? '', /authorization/);
});

Deno.test('error table: each bad request gets its status and code, with CORS headers', async () => {
  const valid = await userToken(alice);
  const cases: [string, Parameters<typeof call>[0], number, string, RegExp?][] = [
    ['wrong method', { method: 'GET', token: valid }, 405, 'method_not_allowed'],
    ['no token', { body: '{"n":1}' }, 401, 'unauthorized', /Sign in/],
    ['malformed header', { body: '{"n":1}', headers: { authorization: 'Token abc' } }, 401, 'unauthorized'],
    [
      'expired token',
      { token: await userToken(alice, { expiresIn: -60 }), body: '{"n":1}' },
      401,
      'unauthorized',
      /expired/,
    ],
    [
      'forged token',
      { token: await userToken(alice, { secret: 'another-secret-that-is-32-characters-long' }), body: '{"n":1}' },
      401,
      'unauthorized',
      /invalid/,
    ],
    ['not a JWT', { token: 'abc.def', body: '{"n":1}' }, 401, 'unauthorized'],
    [
      'unknown role',
      { token: await userToken(alice, { role: 'supabase_admin' }), body: '{"n":1}' },
      401,
      'unauthorized',
    ],
    ['bad JSON', { token: valid, body: '{"n":' }, 400, 'invalid_request', /not valid JSON/],
    ['not an object', { token: valid, body: '[1]' }, 400, 'invalid_request', /JSON object/],
    ['empty body', { token: valid, body: '' }, 400, 'invalid_request'],
    ['extra field', { token: valid, body: '{"n":1,"x":2}' }, 400, 'invalid_request', /x/],
    ['invalid value', { token: valid, body: '{"n":11}' }, 400, 'invalid_request', /n must be at most 10/],
    ['too large', { token: valid, body: JSON.stringify({ n: 1, pad: 'x'.repeat(300) }) }, 413, 'payload_too_large'],
  ];
  for (const [name, init, status, code, message] of cases) {
    const res = await call(init);
    const body = await json(res);
    assert.equal(res.status, status, name);
    assert.equal(body.error?.code, code, name);
    assert.equal(res.headers.get('access-control-allow-origin'), '*', name);
    assert.equal(res.headers.get('content-type'), 'application/json; charset=utf-8', name);
    if (message) assert.match(body.error?.message ?? '', message, name);
  }
});

Deno.test('an unexpected error is a generic 500 without details', async () => {
  const res = await call({ token: await userToken(alice), body: '{"n":7}' });
  const body = await json(res);
  assert.equal(res.status, 500);
  assert.deepEqual(body, { error: { code: 'internal', message: 'Something went wrong on our side. Try again.' } });
});

Deno.test('queries as the caller, so RLS shows a user only their own rows', async () => {
  const body = await json(await call({ token: await userToken(alice), body: '{"n":1}' }));
  assert.deepEqual(body, { role: 'authenticated', user: alice, admin: false, configs: 1 });
});

Deno.test('marks admins by app_metadata.role = admin in the token', async () => {
  const body = await json(
    await call({ token: await userToken(bob, { appMetadata: { role: 'admin' } }), body: '{"n":1}' }),
  );
  assert.equal(body.admin, true);
  // user_metadata is user-writable and must not count
  assert.equal(isAdmin({ role: 'authenticated', user_metadata: { role: 'admin' } }), false);
});

Deno.test('a service_role key or a secret API key acts as service_role and sees every row', async () => {
  const viaJwt = await json(await call({ token: await serviceRoleToken(), body: '{"n":1}' }));
  assert.equal(viaJwt.role, 'service_role');
  assert.equal(viaJwt.configs, 2);
  const viaKey = await json(await call({ headers: { apikey: 'sb_secret_test_key' }, body: '{"n":1}' }));
  assert.equal(viaKey.role, 'service_role');
  const wrongKey = await call({ headers: { apikey: 'sb_secret_wrong' }, body: '{"n":1}' });
  assert.equal(wrongKey.status, 401);
});

Deno.test('verifies asymmetric tokens against the JWKS and their issuer', async () => {
  const issuer = 'http://127.0.0.1:54321/auth/v1';
  const keys = await asymmetricKeys(issuer);
  const jwksEnv = loadEnv(PLATFORM_ENV, {
    SUPABASE_DB_URL: db.url,
    SUPABASE_URL: 'http://127.0.0.1:54321',
    SUPABASE_JWKS: keys.jwks,
  });
  const jwksAuth = createAuthenticator(authOptionsFromEnv(jwksEnv));
  const request = (token: string) =>
    new Request('http://localhost/x', { headers: { authorization: `Bearer ${token}` } });
  assert.equal((await jwksAuth.authenticate(request(await keys.sign(alice)))).userId, alice);
  await assert.rejects(jwksAuth.authenticate(request(await keys.sign(alice, -10))), /expired/);
  const other = await asymmetricKeys('https://evil.example/auth/v1');
  await assert.rejects(jwksAuth.authenticate(request(await other.sign(alice))), /invalid/);
  // An HS256 token is refused when no shared secret is configured.
  await assert.rejects(jwksAuth.authenticate(request(await userToken(alice))), /invalid/);
});

/** An HS256 token with exactly `claims` (plus iat and exp), signed with the test secret. */
function hs256(claims: Record<string, unknown>, secret = TEST_JWT_SECRET): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT({ iat: now, exp: now + 3600, ...claims })
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .sign(new TextEncoder().encode(secret));
}
const userClaims = (sub: string, extra: Record<string, unknown> = {}) => ({
  sub,
  role: 'authenticated',
  aud: 'authenticated',
  email: 'alice@example.test',
  app_metadata: { provider: 'email' },
  ...extra,
});

Deno.test('refuses an HS256 user token without the authenticated audience, with a 401 in the standard shape', async () => {
  const { aud: _aud, ...noAudience } = userClaims(alice);
  for (const [name, token] of [
    ['no aud', await hs256(noAudience)],
    ['aud anon', await hs256(userClaims(alice, { aud: 'anon' }))],
    ['aud of another service', await hs256(userClaims(alice, { aud: ['some-other-api'] }))],
  ] as const) {
    const res = await call({ token, body: '{"n":1}' });
    assert.equal(res.status, 401, name);
    assert.deepEqual(
      await json(res),
      {
        error: { code: 'unauthorized', message: 'The access token was not issued for this project. Sign in again.' },
      },
      name,
    );
  }
  // aud may be a list that includes authenticated
  const listed = await call({
    token: await hs256(userClaims(alice, { aud: ['authenticated', 'other'] })),
    body: '{"n":1}',
  });
  assert.equal(listed.status, 200);
});

Deno.test('answers 401, not 500, for a user token whose sub is not a user id', async () => {
  for (const sub of ['alice', '', '1234', `${alice}x`]) {
    const res = await call({ token: await hs256(userClaims(sub)), body: '{"n":1}' });
    assert.equal(res.status, 401, sub);
    assert.deepEqual(
      await json(res),
      { error: { code: 'unauthorized', message: 'The access token is invalid. Sign in again.' } },
      sub,
    );
  }
  const { sub: _sub, ...noSubject } = userClaims(alice);
  assert.equal((await call({ token: await hs256(noSubject), body: '{"n":1}' })).status, 401);
});

Deno.test('with SUPABASE_URL known, an HS256 user token must come from its Auth; service keys stay as Supabase issues them', async () => {
  const projectEnv = loadEnv(PLATFORM_ENV, {
    SUPABASE_DB_URL: db.url,
    SUPABASE_URL: 'https://abcd.supabase.co/',
    JWT_SECRET: TEST_JWT_SECRET,
  });
  const projectAuth = createAuthenticator(authOptionsFromEnv(projectEnv));
  const request = (token: string) =>
    new Request('http://localhost/x', { headers: { authorization: `Bearer ${token}` } });
  const ISSUER = 'https://abcd.supabase.co/auth/v1';
  assert.equal(
    (await projectAuth.authenticate(request(await hs256(userClaims(alice, { iss: ISSUER }))))).userId,
    alice,
  );
  for (const iss of [undefined, 'https://other.supabase.co/auth/v1', 'supabase']) {
    await assert.rejects(
      projectAuth.authenticate(request(await hs256(userClaims(alice, iss ? { iss } : {})))),
      /not issued for this project/,
      String(iss),
    );
  }
  // the legacy service_role and anon keys: iss 'supabase' (hosted) or 'supabase-demo' (CLI), no aud
  assert.equal((await projectAuth.authenticate(request(await serviceRoleToken()))).role, 'service_role');
  assert.equal(
    (await projectAuth.authenticate(request(await hs256({ iss: 'supabase-demo', role: 'service_role' })))).role,
    'service_role',
  );
  assert.equal(
    (await projectAuth.authenticate(request(await hs256({ iss: 'supabase', ref: 'abcd', role: 'anon' })))).role,
    'anon',
  );
});

Deno.test('refuses service_role and anon tokens that are not Supabase API keys', async () => {
  for (const [name, claims] of [
    ['no iss', { role: 'service_role' }],
    ['foreign iss', { iss: 'https://evil.example', role: 'service_role' }],
    ['anon with a foreign iss', { iss: 'my-app', role: 'anon' }],
  ] as const) {
    const res = await call({ token: await hs256(claims), body: '{"n":1}' });
    assert.equal(res.status, 401, name);
    assert.equal((await json(res)).error?.code, 'unauthorized', name);
  }
});

Deno.test('env: fails at startup naming every bad variable, never its value', () => {
  assert.throws(
    () => loadEnv(PLATFORM_ENV, { JWT_SECRET: 'short-secret-value', DB_POOL_MAX: 'many' }),
    (error: Error & { code?: string }) => {
      assert.equal(error.code, 'invalid_config');
      assert.match(error.message, /SUPABASE_DB_URL/);
      assert.match(error.message, /JWT_SECRET/);
      assert.match(error.message, /DB_POOL_MAX/);
      assert.doesNotMatch(error.message, /short-secret-value/);
      return true;
    },
  );
});
