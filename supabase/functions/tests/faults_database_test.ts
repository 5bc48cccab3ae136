// The functions with their database refusing, resetting, stalling or trickling (through a TCP
// fault proxy): each request answers 503 `unavailable` with Retry-After within its deadline
// (DB_TIMEOUT_MS) plus a second, and the same instance serves again once the database is back.
import assert from 'node:assert/strict';
import { AppError } from '../../../shared/errors.ts';
import { createDatabase } from '../_shared/db.ts';
import { loadEnv } from '../_shared/env.ts';
import { createVoicePreview, VOICE_PREVIEW_ENV, type VoicePreviewApp } from '../voice-preview/handler.ts';
import { createVoicesSync, VOICES_SYNC_ENV } from '../voices-sync/handler.ts';
import { openFaultProxy, type ProxyMode, timed } from './faults.ts';
import {
  createTestDatabase,
  elevenLabsFake,
  json,
  RACHEL,
  serviceRoleToken,
  TEST_JWT_SECRET,
  userToken,
} from './harness.ts';

const db = await createTestDatabase();
const token = await userToken(await db.createUser());
/** Short deadlines so the table runs quickly; the assertion allows a second on top. */
const DB_ENV = { DB_CONNECT_TIMEOUT_MS: '1000', DB_STATEMENT_TIMEOUT_MS: '1000', DB_TIMEOUT_MS: '1500' };
const DEADLINE_MS = 1500;
const GRACE_MS = 1000;
let counter = 0;

function commonEnv(dbUrl: string) {
  return {
    SUPABASE_DB_URL: dbUrl,
    JWT_SECRET: TEST_JWT_SECRET,
    ELEVEN_API_KEY: elevenLabsFake.apiKey,
    ELEVENLABS_BASE_URL: elevenLabsFake.url,
    LOG_LEVEL: 'silent',
    ...DB_ENV,
  };
}

function previewRequest(text = `Database faults, call ${++counter}.`): Request {
  return new Request('http://localhost/voice-preview', {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify({ voice_id: RACHEL, text }),
  });
}

async function expectUnavailable(what: string, send: () => Promise<Response>): Promise<void> {
  const { value: res, ms } = await timed(what, DEADLINE_MS + 10_000, send);
  const body = await json(res);
  assert.equal(res.status, 503, `${what}: ${JSON.stringify(body)}`);
  assert.equal(body.error?.code, 'unavailable', what);
  assert.ok(Number(res.headers.get('retry-after')) >= 1, `${what}: Retry-After`);
  assert.ok(ms <= DEADLINE_MS + GRACE_MS, `${what}: answered after ${Math.round(ms)} ms`);
}

async function expectServed(what: string, app: VoicePreviewApp): Promise<void> {
  const { value: res } = await timed(`${what}, recovered`, 10_000, () => app.fetch(previewRequest()));
  assert.equal(res.status, 200, `${what}: serves again once the database is back`);
  await res.arrayBuffer();
}

Deno.test.beforeEach(async () => {
  await elevenLabsFake.reset();
});
Deno.test.afterAll(async () => {
  await db.close();
});

const COLD: [string, ProxyMode][] = [
  ['refused', { kind: 'refuse' }],
  ['reset', { kind: 'reset' }],
  ['stalled before it answers', { kind: 'stall' }],
  ['stalled in the middle of the startup answer', { kind: 'stall_after', bytes: 20 }],
  ['trickling a byte every 0.5 s', { kind: 'trickle', bytes: 1, intervalMs: 500 }],
];

for (const [name, mode] of COLD) {
  Deno.test(`voice-preview, database ${name}: 503 unavailable within its deadline, then serves again`, async () => {
    const proxy = await openFaultProxy(db.url);
    const app = createVoicePreview(loadEnv(VOICE_PREVIEW_ENV, commonEnv(proxy.rewrite(db.url))));
    try {
      await proxy.setMode(mode);
      await expectUnavailable(name, () => app.fetch(previewRequest()));
      await proxy.setMode({ kind: 'pass' });
      await expectServed(name, app);
    } finally {
      await app.close();
      await proxy.close();
    }
  });
}

const WARM: [string, ProxyMode][] = [
  ['a pooled connection stalls', { kind: 'stall' }],
  ['a pooled connection stalls mid-answer', { kind: 'stall_after', bytes: 5 }],
  ['a pooled connection trickles', { kind: 'trickle', bytes: 1, intervalMs: 500 }],
];

for (const [name, mode] of WARM) {
  Deno.test(`voice-preview, ${name}: 503 unavailable within its deadline, then serves again`, async () => {
    const proxy = await openFaultProxy(db.url);
    const app = createVoicePreview(loadEnv(VOICE_PREVIEW_ENV, commonEnv(proxy.rewrite(db.url))));
    try {
      await expectServed(`${name} (warming the pool)`, app);
      await proxy.setMode(mode);
      await expectUnavailable(name, () => app.fetch(previewRequest()));
      await proxy.setMode({ kind: 'pass' });
      await expectServed(name, app);
    } finally {
      await app.close();
      await proxy.close();
    }
  });
}

Deno.test('voices-sync, database stalled: 503 unavailable within its deadline', async () => {
  const proxy = await openFaultProxy(db.url);
  const app = createVoicesSync(loadEnv(VOICES_SYNC_ENV, commonEnv(proxy.rewrite(db.url))));
  const key = await serviceRoleToken();
  const sync = () =>
    app.fetch(
      new Request('http://localhost/voices-sync', {
        method: 'POST',
        headers: { authorization: `Bearer ${key}` },
        body: JSON.stringify({ dry_run: true }),
      }),
    );
  try {
    await proxy.setMode({ kind: 'stall' });
    await expectUnavailable('voices-sync, database stalled', sync);
  } finally {
    await app.close();
    await proxy.close();
  }
});

Deno.test('voice-preview, database stalled: a malformed voice_id still gets its 400 at once, without the hint', async () => {
  const proxy = await openFaultProxy(db.url);
  const app = createVoicePreview(
    loadEnv(VOICE_PREVIEW_ENV, {
      ...commonEnv(proxy.rewrite(db.url)),
      DB_CONNECT_TIMEOUT_MS: '5000',
      DB_TIMEOUT_MS: '8000',
    }),
  );
  const request = new Request('http://localhost/voice-preview', {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify({ voice_id: 'Rachel', text: 'hi' }),
  });
  try {
    await proxy.setMode({ kind: 'stall' });
    const { value: res, ms } = await timed('hint with a stalled database', 20_000, () => app.fetch(request));
    const body = await json(res);
    assert.equal(res.status, 400, JSON.stringify(body));
    assert.doesNotMatch(body.error?.message ?? '', /its voice_id is/);
    assert.ok(ms <= 2000 + GRACE_MS, `answered after ${Math.round(ms)} ms`);
  } finally {
    await proxy.setMode({ kind: 'pass' });
    await app.close();
    await proxy.close();
  }
});

Deno.test('a statement past DB_STATEMENT_TIMEOUT_MS is cancelled by the server: unavailable, and the pool keeps working', async () => {
  const database = createDatabase(db.url, { statementTimeoutMs: 300, timeoutMs: 5000 });
  try {
    const { value: error, ms } = await timed('slow statement', 10_000, () =>
      database
        .asServiceRole((tx) => tx`select pg_sleep(3)`)
        .then(
          () => null,
          (e: unknown) => e,
        ),
    );
    assert.ok(error instanceof AppError, String(error));
    assert.equal(error.code, 'unavailable');
    assert.ok(ms <= 300 + GRACE_MS, `cancelled after ${Math.round(ms)} ms`);
    const [row] = await database.asServiceRole((tx) => tx<{ one: number }[]>`select 1 as one`);
    assert.equal(row?.one, 1);
  } finally {
    await database.end();
  }
});
