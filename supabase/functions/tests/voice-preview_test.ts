// voice-preview against a real database and the ElevenLabs fake (issue 4 §2, §5).
import assert from 'node:assert/strict';
import { VOICE_SAMPLE_TEXT } from '../../../shared/voice_preview.ts';
import { isMp3 } from '../../../test/fakes/elevenlabs_audio.ts';
import { loadEnv } from '../_shared/env.ts';
import { createVoicePreview, VOICE_PREVIEW_ENV, type VoicePreviewApp } from '../voice-preview/handler.ts';
import {
  ADAM,
  createTestDatabase,
  elevenLabsFake,
  json,
  RACHEL,
  SARAH,
  TEST_JWT_SECRET,
  userToken,
} from './harness.ts';

const db = await createTestDatabase();
const apps: VoicePreviewApp[] = [];
function app(overrides: Record<string, string> = {}): VoicePreviewApp {
  const env = loadEnv(VOICE_PREVIEW_ENV, {
    SUPABASE_DB_URL: db.url,
    JWT_SECRET: TEST_JWT_SECRET,
    ELEVEN_API_KEY: elevenLabsFake.apiKey,
    ELEVENLABS_BASE_URL: `${elevenLabsFake.url}/v1`,
    LOG_LEVEL: 'silent',
    ...overrides,
  });
  const created = createVoicePreview(env);
  apps.push(created);
  return created;
}
const preview = app();
const owner = await db.createUser();
const token = await userToken(owner);

function post(
  target: VoicePreviewApp,
  body: unknown,
  init: { token?: string | null; method?: string; raw?: string } = {},
) {
  const auth: Record<string, string> = init.token === null ? {} : { authorization: `Bearer ${init.token ?? token}` };
  return target.fetch(
    new Request('http://localhost/voice-preview', {
      method: init.method ?? 'POST',
      headers: { ...auth, 'content-type': 'application/json' },
      body: init.method === 'GET' ? undefined : (init.raw ?? JSON.stringify(body)),
    }),
  );
}
let textCounter = 0;
const uniqueText = (prefix = 'Thanks for calling Acme Plumbing') => `${prefix}, call ${++textCounter}.`;

Deno.test.beforeEach(async () => {
  await elevenLabsFake.reset();
});
Deno.test.afterAll(async () => {
  for (const a of apps) await a.close();
  await db.close();
});

Deno.test('request validation: each bad request gets its status and code, and never reaches ElevenLabs', async () => {
  const cases: [string, unknown, { token?: string | null; method?: string; raw?: string }, number, string, RegExp?][] =
    [
      ['bad JSON', null, { raw: '{"voice_id":' }, 400, 'invalid_request', /not valid JSON/],
      ['missing voice_id', { text: 'hi' }, {}, 400, 'invalid_request', /voice_id/],
      [
        'extra field',
        { voice_id: RACHEL, text: 'hi', speed: 2 },
        {},
        400,
        'invalid_request',
        /unknown field\(s\): speed/,
      ],
      [
        'friendly name',
        { voice_id: 'Rachel', text: 'hi' },
        {},
        400,
        'invalid_request',
        /"Rachel" is not a valid voice ID.*Rachel is the name of a voice; its voice_id is 21m00Tcm4TlvDq8ikWAM\./,
      ],
      [
        'prefixed name',
        { voice_id: '11labs-Rachel', text: 'hi' },
        {},
        400,
        'invalid_request',
        /provider prefix.*its voice_id is 21m00Tcm4TlvDq8ikWAM/,
      ],
      ['prefixed id', { voice_id: `11labs-${RACHEL}`, text: 'hi' }, {}, 400, 'invalid_request', /provider prefix/],
      [
        'oversized text',
        { voice_id: RACHEL, text: 'x'.repeat(501) },
        {},
        400,
        'invalid_request',
        /at most 500 characters/,
      ],
      ['blank text', { voice_id: RACHEL, text: '   ' }, {}, 400, 'invalid_request', /must not be empty/],
      [
        'unknown model',
        { voice_id: RACHEL, text: 'hi', model: 'eleven_v9' },
        {},
        400,
        'invalid_request',
        /model must be one of/,
      ],
      [
        'unknown format',
        { voice_id: RACHEL, text: 'hi', format: 'wav' },
        {},
        400,
        'invalid_request',
        /format must be one of/,
      ],
      [
        'huge body',
        null,
        { raw: JSON.stringify({ voice_id: RACHEL, text: 'x'.repeat(9000) }) },
        413,
        'payload_too_large',
      ],
      ['wrong method', null, { method: 'GET' }, 405, 'method_not_allowed'],
      ['no JWT', { voice_id: RACHEL, text: 'hi' }, { token: null }, 401, 'unauthorized'],
      [
        'expired JWT',
        { voice_id: RACHEL, text: 'hi' },
        { token: await userToken(owner, { expiresIn: -5 }) },
        401,
        'unauthorized',
        /expired/,
      ],
      [
        'forged JWT',
        { voice_id: RACHEL, text: 'hi' },
        { token: await userToken(owner, { secret: 'not-the-project-secret-but-32-chars-long' }) },
        401,
        'unauthorized',
      ],
      [
        'anon JWT',
        { voice_id: RACHEL, text: 'hi' },
        { token: await userToken(owner, { role: 'anon' }) },
        401,
        'unauthorized',
        /Sign in/,
      ],
    ];
  for (const [name, body, init, status, code, message] of cases) {
    const res = await post(preview, body, init);
    const payload = await json(res);
    assert.equal(res.status, status, `${name}: ${JSON.stringify(payload)}`);
    assert.equal(payload.error?.code, code, name);
    if (message) assert.match(payload.error?.message ?? '', message, name);
  }
  assert.deepEqual(await elevenLabsFake.ttsRequests(), []);
});

Deno.test('voice-ID hints name the right ID for the mistake made, and only for voice_id mistakes', async () => {
  const cases: [string, unknown, number, RegExp, RegExp][] = [
    [
      'a leading space',
      { voice_id: ` ${RACHEL}`, text: 'hi' },
      400,
      /contains whitespace.*Remove the whitespace: the voice_id of Rachel is 21m00Tcm4TlvDq8ikWAM\./,
      /is the name of a voice/,
    ],
    [
      'a trailing newline',
      { voice_id: `${RACHEL}\n`, text: 'hi' },
      400,
      /Remove the whitespace: the voice_id of Rachel is 21m00Tcm4TlvDq8ikWAM\./,
      /is the name of a voice/,
    ],
    [
      'upper case',
      { voice_id: RACHEL.toUpperCase(), text: 'hi' },
      404,
      /not in the catalog.*case-sensitive: the voice_id of Rachel is 21m00Tcm4TlvDq8ikWAM\./,
      /is the name of a voice/,
    ],
    [
      'lower case',
      { voice_id: RACHEL.toLowerCase() },
      404,
      /case-sensitive: the voice_id of Rachel is 21m00Tcm4TlvDq8ikWAM\./,
      /is the name of a voice/,
    ],
    [
      'a valid ID with an unknown field',
      { voice_id: RACHEL, text: 'hi', speed: 2 },
      400,
      /^unknown field\(s\): speed; allowed: voice_id, text, model, format$/,
      /voice_id is 21m00/,
    ],
    [
      'a valid ID with blank text',
      { voice_id: RACHEL, text: ' ' },
      400,
      /^text must not be empty/,
      /voice_id (of Rachel )?is 21m00/,
    ],
  ];
  for (const [name, body, status, message, absent] of cases) {
    const res = await post(preview, body);
    const payload = await json(res);
    assert.equal(res.status, status, `${name}: ${JSON.stringify(payload)}`);
    assert.match(payload.error?.message ?? '', message, name);
    assert.doesNotMatch(payload.error?.message ?? '', absent, name);
  }
  assert.deepEqual(await elevenLabsFake.ttsRequests(), []);
});

Deno.test('an unknown or disabled voice is refused with a code and no upstream call', async () => {
  const unknown = await post(preview, { voice_id: 'AAAAAAAAAAAAAAAAAAAA', text: 'hi' });
  assert.equal(unknown.status, 404);
  assert.equal((await json(unknown)).error?.code, 'voice_not_found');
  await db.sql`update public.voices set enabled = false where voice_id = 'MF3mGyEYCl7XYWbV9V6O'`;
  const disabled = await post(preview, { voice_id: 'MF3mGyEYCl7XYWbV9V6O', text: 'hi' });
  assert.equal(disabled.status, 422);
  assert.match((await json(disabled)).error?.message ?? '', /Elli .* is disabled/);
  assert.deepEqual(await elevenLabsFake.ttsRequests(), []);
});

Deno.test('without text: the hosted sample URL when the voice has one, no credits spent', async () => {
  await db.sql`update public.voices set preview_url = 'https://storage.example/sarah.mp3' where voice_id = ${SARAH}`;
  try {
    const res = await post(preview, { voice_id: SARAH });
    assert.equal(res.status, 200);
    assert.deepEqual(await res.json(), {
      voice_id: SARAH,
      name: 'Sarah',
      preview_url: 'https://storage.example/sarah.mp3',
    });
    assert.deepEqual(await elevenLabsFake.ttsRequests(), []);
  } finally {
    await db.sql`update public.voices set preview_url = null where voice_id = ${SARAH}`;
  }
});

Deno.test('without text and no hosted sample: the standard sentence, synthesized once and then served from the cache', async () => {
  const [brian] = await db.sql<
    { voice_id: string; preview_url: string | null }[]
  >`select voice_id, preview_url from public.voices where name = 'Brian'`;
  assert.equal(brian?.preview_url || null, null, 'seeded voices have no hosted sample');
  const first = await post(preview, { voice_id: brian!.voice_id });
  assert.equal(first.status, 200);
  assert.equal(first.headers.get('content-type'), 'audio/mpeg');
  assert.equal(first.headers.get('x-cache'), 'MISS');
  const audio = new Uint8Array(await first.arrayBuffer());
  assert.ok(isMp3(audio), 'valid MP3 frames');
  const upstream = await elevenLabsFake.ttsRequests();
  assert.equal(upstream.length, 1);
  assert.deepEqual(upstream[0]?.body, { text: VOICE_SAMPLE_TEXT, model_id: 'eleven_flash_v2_5' });

  await waitForCacheRows(1, brian!.voice_id);
  const second = await post(preview, { voice_id: brian!.voice_id });
  assert.equal(second.status, 200);
  assert.equal(second.headers.get('x-cache'), 'HIT');
  assert.deepEqual(new Uint8Array(await second.arrayBuffer()), audio);
  assert.equal((await elevenLabsFake.ttsRequests()).length, 1, 'the second sample never reached ElevenLabs');

  const pcm = await post(preview, { voice_id: brian!.voice_id, format: 'pcm_16000' });
  assert.equal(pcm.status, 200);
  assert.match(pcm.headers.get('content-type') ?? '', /^audio\/L16; rate=16000/);
  await pcm.arrayBuffer();
  // Later tests count Brian's cache rows.
  await waitForCacheRows(2, brian!.voice_id);
  await db.sql`delete from edge.voice_preview_cache where voice_id = ${brian!.voice_id}`;
});

Deno.test('synthesizes real audio, then a cache hit makes zero upstream calls', async () => {
  const text = uniqueText();
  const first = await post(preview, { voice_id: RACHEL, text });
  assert.equal(first.status, 200);
  assert.equal(first.headers.get('content-type'), 'audio/mpeg');
  assert.equal(first.headers.get('x-cache'), 'MISS');
  assert.equal(first.headers.get('access-control-allow-origin'), '*');
  const audio = new Uint8Array(await first.arrayBuffer());
  assert.ok(isMp3(audio), 'valid MP3 frames');
  const [upstream] = await elevenLabsFake.ttsRequests();
  assert.deepEqual(upstream?.body, { text, model_id: 'eleven_flash_v2_5' });
  assert.equal(upstream?.query.output_format, 'mp3_44100_128');
  assert.equal(upstream?.path, `/v1/text-to-speech/${RACHEL}/stream`);

  await waitForCacheRows(1);
  const second = await post(preview, { voice_id: RACHEL, text });
  assert.equal(second.headers.get('x-cache'), 'HIT');
  assert.deepEqual(new Uint8Array(await second.arrayBuffer()), audio);
  assert.equal((await elevenLabsFake.ttsRequests()).length, 1, 'the hit never reached ElevenLabs');

  const pcm = await post(preview, { voice_id: RACHEL, text, format: 'pcm_16000' });
  assert.equal(pcm.headers.get('x-cache'), 'MISS', 'format is part of the key');
  assert.match(pcm.headers.get('content-type') ?? '', /^audio\/L16; rate=16000/);
  await pcm.arrayBuffer();
});

Deno.test('concurrent identical misses call ElevenLabs once and all get the whole file', async () => {
  await elevenLabsFake.configure({ latencyMs: 150, chunkBytes: 2048, chunkDelayMs: 5 });
  const text = uniqueText();
  const responses = await Promise.all(Array.from({ length: 5 }, () => post(preview, { voice_id: ADAM, text })));
  const bodies = await Promise.all(responses.map(async (r) => new Uint8Array(await r.arrayBuffer())));
  assert.deepEqual(
    responses.map((r) => r.status),
    [200, 200, 200, 200, 200],
  );
  assert.equal((await elevenLabsFake.ttsRequests(ADAM)).length, 1);
  for (const body of bodies) assert.deepEqual(body, bodies[0]);
  assert.ok(isMp3(bodies[0]!));
});

Deno.test('streams to the client before ElevenLabs has finished, and caches only afterwards', async () => {
  await elevenLabsFake.configure({ holdStreams: true, chunkBytes: 1000 });
  const text = uniqueText('A greeting long enough to arrive in several chunks');
  const res = await post(preview, { voice_id: SARAH, text });
  assert.equal(res.status, 200);
  const reader = res.body!.getReader();
  const first = await reader.read();
  assert.equal(first.value?.byteLength, 1000, 'the first chunk arrived while the fake still holds the rest');
  const [{ count }] =
    await db.sql`select count(*)::int as count from edge.voice_preview_cache where voice_id = ${SARAH}`;
  assert.equal(count, 0, 'nothing cached before the upstream finished');
  await elevenLabsFake.release();
  let total = first.value!.byteLength;
  for (let chunk = await reader.read(); !chunk.done; chunk = await reader.read()) total += chunk.value.byteLength;
  assert.ok(total > 1000);
  await waitForCacheRows(1, SARAH);
});

Deno.test('ElevenLabs voice_not_found (404 or 400) disables the voice and flags every config using it', async () => {
  for (const [voiceId, status] of [
    [ADAM, 404],
    ['TxGEqnHWrfWFTfGW9XjX', 400],
  ] as const) {
    const [config] =
      await db.sql`insert into public.agent_configs (owner_id, name, voice_id) values (${owner}, ${`Desk ${status}`}, ${voiceId}) returning id`;
    await elevenLabsFake.configure({
      voiceNotFoundStatus: status,
      failures: [{ kind: 'voice_not_found', on: 'tts', voiceId }],
    });
    const res = await post(preview, { voice_id: voiceId, text: uniqueText() });
    const body = await json(res);
    assert.equal(res.status, 404, `status ${status}`);
    assert.equal(body.error?.code, 'voice_not_found');
    assert.match(body.error?.message ?? '', /disabled in the catalog/);
    const [voice] = await db.sql`select enabled from public.voices where voice_id = ${voiceId}`;
    assert.equal(voice!.enabled, false);
    const issues =
      await db.sql`select code from public.config_issues where subject_id = ${config!.id} and resolved_at is null`;
    assert.deepEqual(
      issues.map((i) => i.code),
      ['voice_disabled'],
    );
    const again = await post(preview, { voice_id: voiceId, text: uniqueText() });
    assert.equal(again.status, 422, 'now refused before any upstream call');
    assert.equal((await elevenLabsFake.ttsRequests(voiceId)).length, 1);
  }
});

Deno.test('a vanished default voice hands the default to another enabled voice', async () => {
  await elevenLabsFake.configure({ failures: [{ kind: 'voice_not_found', on: 'tts', voiceId: RACHEL }] });
  const res = await post(preview, { voice_id: RACHEL, text: uniqueText() });
  assert.equal(res.status, 404);
  const rows = await db.sql`select voice_id, enabled from public.voices where is_default`;
  assert.equal(rows.length, 1);
  assert.notEqual(rows[0]!.voice_id, RACHEL);
  assert.equal(rows[0]!.enabled, true);
  await db.sql.begin(async (tx) => {
    await tx`update public.voices set is_default = false where is_default`;
    await tx`update public.voices set enabled = true, is_default = true where voice_id = ${RACHEL}`;
  });
});

Deno.test('provider failures map to clear codes and are never cached', async () => {
  const fast = app({ PREVIEW_UPSTREAM_TIMEOUT_MS: '1000' }); // the whole synthesis, so not too tight on a loaded machine
  const cases: [string, number, string][] = [
    ['invalid_api_key', 502, 'tts_auth_failed'],
    ['quota_exceeded', 503, 'tts_quota_exceeded'],
    ['system_busy', 429, 'tts_rate_limited'],
    ['too_many_concurrent_requests', 429, 'tts_rate_limited'],
    ['server_error', 502, 'tts_unavailable'],
    ['non_audio', 502, 'tts_unavailable'],
    ['hang', 503, 'tts_timeout'],
  ];
  for (const [kind, status, code] of cases) {
    await elevenLabsFake.configure({ failures: [{ kind, on: 'tts', times: 1 }] });
    const text = uniqueText();
    const res = await post(fast, { voice_id: 'pFZP5JQG7iQjIQuC4Bku', text });
    const body = await json(res);
    assert.equal(res.status, status, `${kind}: ${JSON.stringify(body)}`);
    assert.equal(body.error?.code, code, kind);
    assert.doesNotMatch(body.error?.message ?? '', /fake|detail|Invalid API key/, 'no provider text leaks');
    const retry = await post(fast, { voice_id: 'pFZP5JQG7iQjIQuC4Bku', text });
    assert.equal(retry.status, 200, `${kind}: the failure was not cached`);
    await retry.arrayBuffer();
  }
  const unreachable = app({ ELEVENLABS_BASE_URL: 'http://127.0.0.1:9' });
  const res = await post(unreachable, { voice_id: 'pFZP5JQG7iQjIQuC4Bku', text: uniqueText() });
  assert.equal(res.status, 503);
  assert.equal((await json(res)).error?.code, 'tts_unreachable');
});

Deno.test('a per-user quota stops synthesis with 429 and Retry-After; cache hits and other users still work', async () => {
  const limited = app({ PREVIEW_RATE_MAX_REQUESTS: '2' });
  const user = await db.createUser();
  const userJwt = await userToken(user);
  const texts = [uniqueText(), uniqueText(), uniqueText()];
  for (const text of texts.slice(0, 2)) {
    const ok = await post(limited, { voice_id: 'nPczCjzI2devNBz1zQrb', text }, { token: userJwt });
    assert.equal(ok.status, 200);
    await ok.arrayBuffer();
  }
  const refused = await post(limited, { voice_id: 'nPczCjzI2devNBz1zQrb', text: texts[2] }, { token: userJwt });
  assert.equal(refused.status, 429);
  assert.equal((await json(refused)).error?.code, 'rate_limited');
  assert.ok(Number(refused.headers.get('retry-after')) >= 1);
  await waitForCacheRows(2, 'nPczCjzI2devNBz1zQrb');
  const hit = await post(limited, { voice_id: 'nPczCjzI2devNBz1zQrb', text: texts[0] }, { token: userJwt });
  assert.equal(hit.headers.get('x-cache'), 'HIT');
  await hit.arrayBuffer();
  const other = await post(
    limited,
    { voice_id: 'nPczCjzI2devNBz1zQrb', text: texts[2] },
    { token: await userToken(await db.createUser()) },
  );
  assert.equal(other.status, 200);
  await other.arrayBuffer();
});

Deno.test('the cache is bounded: least recently used previews are evicted', async () => {
  await db.sql`delete from edge.voice_preview_cache`;
  const small = app({ PREVIEW_CACHE_MAX_ENTRIES: '2' });
  const texts = [uniqueText(), uniqueText(), uniqueText()];
  for (const text of texts) {
    const res = await post(small, { voice_id: 'EXAVITQu4vr4xnSDxMaL', text });
    await res.arrayBuffer();
    await new Promise((resolve) => setTimeout(resolve, 30));
  }
  await waitFor(async () => (await elevenLabsFake.ttsRequests('EXAVITQu4vr4xnSDxMaL')).length === 3);
  await new Promise((resolve) => setTimeout(resolve, 100));
  const rows = await db.sql`select text_length from edge.voice_preview_cache order by last_used_at`;
  assert.equal(rows.length, 2);
  const again = await post(small, { voice_id: 'EXAVITQu4vr4xnSDxMaL', text: texts[0] });
  assert.equal(again.headers.get('x-cache'), 'MISS', 'the oldest was evicted');
  await again.arrayBuffer();
});

async function waitForCacheRows(count: number, voiceId?: string): Promise<void> {
  await waitFor(async () => {
    const [row] = voiceId
      ? await db.sql`select count(*)::int as n from edge.voice_preview_cache where voice_id = ${voiceId}`
      : await db.sql`select count(*)::int as n from edge.voice_preview_cache`;
    return row!.n >= count;
  });
}

async function waitFor(predicate: () => Promise<boolean>, timeoutMs = 3000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await predicate()) return;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error('timed out waiting for a condition');
}

Deno.test('served by Deno.serve, a refused voice_id never reads request.signal (no legacy-abort warning)', async () => {
  const server = Deno.serve({ port: 0, hostname: '127.0.0.1', onListen: () => {} }, (req) => preview.fetch(req));
  const warnings: string[] = [];
  const original = console.warn;
  console.warn = (...args: unknown[]) => warnings.push(args.map(String).join(' '));
  try {
    const { port } = server.addr as Deno.NetAddr;
    const res = await fetch(`http://127.0.0.1:${port}/voice-preview`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ voice_id: 'Rachel' }),
      signal: AbortSignal.timeout(5_000),
    });
    assert.equal(res.status, 400);
    assert.match(
      (await json(res)).error?.message ?? '',
      /Rachel is the name of a voice; its voice_id is 21m00Tcm4TlvDq8ikWAM\./,
    );
  } finally {
    console.warn = original;
    await server.shutdown();
  }
  assert.deepEqual(
    warnings.filter((w) => /request\.signal/.test(w)),
    [],
  );
});
