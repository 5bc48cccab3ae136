// voices-sync against a real database and the ElevenLabs fake (issue 4 §3, §5).
import assert from 'node:assert/strict';
import { loadEnv } from '../_shared/env.ts';
import { createVoicesSync, VOICES_SYNC_ENV } from '../voices-sync/handler.ts';
import {
  ADAM,
  createTestDatabase,
  elevenLabsFake,
  json,
  RACHEL,
  serviceRoleToken,
  TEST_JWT_SECRET,
  userToken,
} from './harness.ts';

const db = await createTestDatabase();
const sync = createVoicesSync(
  loadEnv(VOICES_SYNC_ENV, {
    SUPABASE_DB_URL: db.url,
    JWT_SECRET: TEST_JWT_SECRET,
    SUPABASE_SECRET_KEYS: JSON.stringify({ default: 'sb_secret_sync_test' }),
    ELEVEN_API_KEY: elevenLabsFake.apiKey,
    ELEVENLABS_BASE_URL: elevenLabsFake.url,
    LOG_LEVEL: 'silent',
  }),
);
const admin = await db.createUser({ role: 'admin' });
const adminToken = await userToken(admin, { appMetadata: { role: 'admin' } });
const member = await db.createUser();

type Voice = {
  voice_id: string;
  name: string;
  category: string;
  labels: Record<string, string>;
  preview_url?: string | null;
};
const defaultVoices = (await (await fetch(`${elevenLabsFake.url}/__fake/state`)).json()).options.voices as Voice[];

function call(body: unknown = {}, headers: Record<string, string> = { authorization: `Bearer ${adminToken}` }) {
  return sync.fetch(
    new Request('http://localhost/voices-sync', {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: JSON.stringify(body),
    }),
  );
}
async function catalog() {
  return await db.sql`select voice_id, name, enabled, is_default, updated_at from public.voices order by voice_id`;
}

Deno.test.beforeEach(async () => {
  await elevenLabsFake.reset();
});
Deno.test.afterAll(async () => {
  await sync.close();
  await db.close();
});

Deno.test('only admins, service_role tokens and secret keys may sync', async () => {
  const cases: [string, Record<string, string>, number, string][] = [
    ['no token', {}, 401, 'unauthorized'],
    ['a plain user', { authorization: `Bearer ${await userToken(member)}` }, 403, 'forbidden'],
    [
      'user_metadata is not admin',
      { authorization: `Bearer ${await userToken(member, { appMetadata: {} })}` },
      403,
      'forbidden',
    ],
  ];
  for (const [name, headers, status, code] of cases) {
    const res = await call({ dry_run: true }, headers);
    assert.equal(res.status, status, name);
    assert.equal((await json(res)).error?.code, code, name);
  }
  assert.equal((await call({ dry_run: true }, { authorization: `Bearer ${await serviceRoleToken()}` })).status, 200);
  assert.equal((await call({ dry_run: true }, { apikey: 'sb_secret_sync_test' })).status, 200);
  const extra = await call({ dry_run: true, force: true });
  assert.equal(extra.status, 400);
  assert.match((await json(extra)).error?.message ?? '', /unknown field\(s\): force/);
});

Deno.test('a dry run reports what would change and writes nothing', async () => {
  const before = await catalog();
  const res = await call({ dry_run: true });
  const body = await json(res);
  assert.equal(res.status, 200);
  assert.equal(body.dry_run, true);
  assert.deepEqual((body.added as { name: string }[]).map((v) => v.name).sort(), [
    'Antoni',
    'Arnold',
    'Domi',
    'Dorothy',
    'Sam',
  ]);
  assert.deepEqual(await catalog(), before);
});

Deno.test('sync adds voices, then a second run changes nothing (idempotent)', async () => {
  const first = await json(await call());
  assert.equal(first.changed, true);
  assert.equal((first.added as unknown[]).length, 5);
  assert.ok((first.updated as unknown[]).length > 0, 'labels filled in for seeded voices');
  const afterFirst = await catalog();
  assert.equal(afterFirst.length, 12);
  const second = await json(await call());
  assert.equal(second.changed, false);
  assert.equal(second.unchanged, 12);
  assert.deepEqual(await catalog(), afterFirst, 'not even updated_at moved');
  const [rachel] = await db.sql`select labels from public.voices where voice_id = ${RACHEL}`;
  assert.equal(rachel!.labels.use_case, 'conversational');
});

Deno.test("stores hosted preview URLs, but none on this machine: the fake's loopback samples die with its port", async () => {
  const stale = `http://127.0.0.1:41234/previews/${RACHEL}.mp3`; // left by an earlier dev run
  await db.sql`update public.voices set preview_url = ${stale} where voice_id = ${RACHEL}`;
  await call();
  const loopback = await db.sql`select voice_id, preview_url from public.voices where preview_url is not null`;
  assert.deepEqual([...loopback], [], 'the fake lists http://127.0.0.1:<port>/previews/... for every voice');

  await elevenLabsFake.setVoices(
    defaultVoices.map((v) => (v.voice_id === RACHEL ? { ...v, preview_url: 'https://storage.example/rachel.mp3' } : v)),
  );
  const hosted = await json(await call());
  assert.deepEqual(hosted.updated, [
    { voice_id: RACHEL, changes: { preview_url: 'https://storage.example/rachel.mp3' } },
  ]);
  const [rachel] = await db.sql`select preview_url from public.voices where voice_id = ${RACHEL}`;
  assert.equal(rachel!.preview_url, 'https://storage.example/rachel.mp3');
});

Deno.test('vanished voices are disabled (never deleted) and their configs flagged; listed again, re-enabled', async () => {
  await call();
  const owner = await db.createUser();
  const [config] =
    await db.sql`insert into public.agent_configs (owner_id, name, voice_id) values (${owner}, 'Desk', ${ADAM}) returning id`;
  await db.sql`update public.voices set enabled = false where voice_id = 'yoZ06aMxZJJ28mfd3POQ'`; // an operator's choice
  await elevenLabsFake.setVoices(
    defaultVoices.filter((v) => v.voice_id !== ADAM && v.voice_id !== 'yoZ06aMxZJJ28mfd3POQ'),
  );
  const gone = await json(await call());
  assert.deepEqual(gone.disabled, [{ voice_id: ADAM, name: 'Adam' }]);
  const [adam] = await db.sql`select enabled from public.voices where voice_id = ${ADAM}`;
  assert.equal(adam!.enabled, false);
  const issues =
    await db.sql`select code from public.config_issues where subject_id = ${config!.id} and resolved_at is null`;
  assert.deepEqual(
    issues.map((i) => i.code),
    ['voice_disabled'],
  );

  await elevenLabsFake.reset();
  const back = await json(await call());
  assert.deepEqual(
    (back.enabled as { voice_id: string }[]).map((v) => v.voice_id),
    [ADAM],
    'the operator-disabled voice stays disabled',
  );
  const open =
    await db.sql`select code from public.config_issues where subject_id = ${config!.id} and resolved_at is null`;
  assert.equal(open.length, 0);
  await db.sql`update public.voices set enabled = true where voice_id = 'yoZ06aMxZJJ28mfd3POQ'`;
});

Deno.test('a vanished default voice hands the default on; exactly one enabled default remains', async () => {
  await call();
  await elevenLabsFake.setVoices(defaultVoices.filter((v) => v.voice_id !== RACHEL));
  const body = await json(await call());
  assert.equal((body.default_changed as { from: string }).from, RACHEL);
  const defaults = await db.sql`select voice_id, enabled from public.voices where is_default`;
  assert.equal(defaults.length, 1);
  assert.equal(defaults[0]!.enabled, true);
  await elevenLabsFake.reset();
  await call(); // Rachel is back and enabled; the default stays where it moved
  const [rachel] = await db.sql`select enabled, is_default from public.voices where voice_id = ${RACHEL}`;
  assert.deepEqual({ ...rachel }, { enabled: true, is_default: false });
});

Deno.test('pages through /v2/voices, renames, and keeps names unique', async () => {
  const many: Voice[] = Array.from({ length: 130 }, (_, i) => ({
    voice_id: `Gen${String(i).padStart(3, '0')}xxxxxxxxxxxxxx`,
    name: i === 0 ? 'Rachel' : `Generated ${i}`,
    category: 'generated',
    labels: {},
  }));
  await elevenLabsFake.setVoices([
    ...defaultVoices.map((v) => (v.voice_id === ADAM ? { ...v, name: 'Adam (legacy)' } : v)),
    ...many,
  ]);
  const body = await json(await call());
  assert.equal((body.added as unknown[]).length, 130, 'both pages of 100 were read');
  const [adam] = await db.sql`select name from public.voices where voice_id = ${ADAM}`;
  assert.equal(adam!.name, 'Adam (legacy)');
  const [clash] = await db.sql`select name from public.voices where voice_id = 'Gen000xxxxxxxxxxxxxx'`;
  assert.equal(clash!.name, 'Rachel (Gen000)');
  assert.equal((await json(await call())).changed, false);
});

Deno.test('provider failures map to codes and change nothing', async () => {
  const before = await catalog();
  await elevenLabsFake.configure({ failures: [{ kind: 'invalid_api_key', on: 'voices' }] });
  const res = await call();
  assert.equal(res.status, 502);
  assert.equal((await json(res)).error?.code, 'tts_auth_failed');
  await elevenLabsFake.setVoices([]);
  await elevenLabsFake.configure({ failures: [] });
  const empty = await call();
  assert.equal(empty.status, 502);
  assert.match((await json(empty)).error?.message ?? '', /listed no voices/);
  assert.deepEqual(await catalog(), before);
});
