// voice-preview and voices-sync with ElevenLabs refusing, resetting, stalling before its headers,
// stalling mid-body (audio or error body) or trickling: each answer comes within the upstream
// deadline (PREVIEW_UPSTREAM_TIMEOUT_MS / SYNC_UPSTREAM_TIMEOUT_MS) plus a second, with its code;
// and a preview that failed that way never traps a later identical request.
import assert from 'node:assert/strict';
import { isMp3 } from '../../../test/fakes/elevenlabs_audio.ts';
import { loadEnv } from '../_shared/env.ts';
import { createVoicePreview, VOICE_PREVIEW_ENV, type VoicePreviewApp } from '../voice-preview/handler.ts';
import { createVoicesSync, VOICES_SYNC_ENV, type VoicesSyncApp } from '../voices-sync/handler.ts';
import { drain, openFaultProxy, type ProxyMode, timed } from './faults.ts';
import {
  createTestDatabase,
  elevenLabsFake,
  json,
  RACHEL,
  serviceRoleToken,
  TEST_JWT_SECRET,
  userToken,
} from './harness.ts';

const DEADLINE_MS = 1000;
const GRACE_MS = 1000;
const GIVE_UP_MS = DEADLINE_MS + 10_000;
const db = await createTestDatabase();
const token = await userToken(await db.createUser());
const serviceKey = await serviceRoleToken();
const proxy = await openFaultProxy(elevenLabsFake.url);
const env = (baseUrl: string) => ({
  SUPABASE_DB_URL: db.url,
  JWT_SECRET: TEST_JWT_SECRET,
  ELEVEN_API_KEY: elevenLabsFake.apiKey,
  ELEVENLABS_BASE_URL: baseUrl,
  LOG_LEVEL: 'silent',
  PREVIEW_UPSTREAM_TIMEOUT_MS: String(DEADLINE_MS),
  SYNC_UPSTREAM_TIMEOUT_MS: String(DEADLINE_MS),
  PREVIEW_RATE_MAX_REQUESTS: '1000',
});
const preview: VoicePreviewApp = createVoicePreview(loadEnv(VOICE_PREVIEW_ENV, env(elevenLabsFake.url)));
const previewViaProxy: VoicePreviewApp = createVoicePreview(
  loadEnv(VOICE_PREVIEW_ENV, env(proxy.rewrite(elevenLabsFake.url))),
);
const sync: VoicesSyncApp = createVoicesSync(loadEnv(VOICES_SYNC_ENV, env(elevenLabsFake.url)));
const syncViaProxy: VoicesSyncApp = createVoicesSync(loadEnv(VOICES_SYNC_ENV, env(proxy.rewrite(elevenLabsFake.url))));
let counter = 0;
const uniqueText = () => `ElevenLabs faults, call ${++counter}.`;

function previewRequest(text: string): Request {
  return new Request('http://localhost/voice-preview', {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify({ voice_id: RACHEL, text }),
  });
}
const syncRequest = () =>
  new Request('http://localhost/voices-sync', {
    method: 'POST',
    headers: { authorization: `Bearer ${serviceKey}` },
    body: '{"dry_run":true}',
  });

/** A fault, arranged either on the fake (a failure rule) or on the proxy in front of it. */
interface Fault {
  name: string;
  fake?: string;
  proxy?: ProxyMode;
}
/** What the caller gets: an error status and code, or a 200 whose body breaks off. */
type Outcome = { status: number; code: string } | { status: 200; body: 'broken' };

async function arrange(fault: Fault, on: 'tts' | 'voices'): Promise<void> {
  if (fault.fake)
    await elevenLabsFake.configure({
      trickleBytes: 1,
      trickleIntervalMs: 500,
      failures: [{ kind: fault.fake, on, times: 1 }],
    });
  if (fault.proxy) await proxy.setMode(fault.proxy);
}

/** Sends, reads the whole answer (body included), and checks the outcome and the time it took. */
async function expectOutcome(what: string, send: () => Promise<Response>, expected: Outcome): Promise<void> {
  const { value, ms } = await timed(what, GIVE_UP_MS, async () => {
    const res = await send();
    if (res.status !== 200) return { status: res.status, code: (await json(res)).error?.code ?? '' };
    return { status: 200, body: (await drain(res)).outcome };
  });
  assert.deepEqual(value, expected, what);
  assert.ok(ms <= DEADLINE_MS + GRACE_MS, `${what}: answered after ${Math.round(ms)} ms`);
}

Deno.test.beforeEach(async () => {
  await elevenLabsFake.reset();
  await proxy.setMode({ kind: 'pass' });
});
Deno.test.afterAll(async () => {
  for (const app of [preview, previewViaProxy, sync, syncViaProxy]) await app.close();
  await proxy.close();
  await db.close();
});

const PREVIEW_CASES: [Fault, Outcome][] = [
  [
    { name: 'refuses connections', proxy: { kind: 'refuse' } },
    { status: 503, code: 'tts_unreachable' },
  ],
  [
    { name: 'resets connections', proxy: { kind: 'reset' } },
    { status: 503, code: 'tts_unreachable' },
  ],
  [
    { name: 'stalls before its headers', fake: 'hang' },
    { status: 503, code: 'tts_timeout' },
  ],
  [
    { name: 'accepts and never answers (TCP)', proxy: { kind: 'stall' } },
    { status: 503, code: 'tts_timeout' },
  ],
  [
    { name: 'stalls mid-audio', fake: 'stall_body' },
    { status: 200, body: 'broken' },
  ],
  [
    { name: 'stalls mid-error-body', fake: 'stall_error_body' },
    { status: 502, code: 'tts_unavailable' },
  ],
  [
    { name: 'trickles the audio', fake: 'trickle' },
    { status: 200, body: 'broken' },
  ],
  [
    { name: 'trickles everything (TCP)', proxy: { kind: 'trickle', bytes: 1, intervalMs: 500 } },
    { status: 503, code: 'tts_timeout' },
  ],
];

for (const [fault, outcome] of PREVIEW_CASES) {
  Deno.test(`voice-preview, ElevenLabs ${fault.name}: ${JSON.stringify(outcome)} within the deadline, nothing cached`, async () => {
    await arrange(fault, 'tts');
    const text = uniqueText();
    await expectOutcome(
      fault.name,
      () => (fault.proxy ? previewViaProxy : preview).fetch(previewRequest(text)),
      outcome,
    );
    const [{ n }] =
      await db.sql`select count(*)::int as n from edge.voice_preview_cache where text_length = ${text.length} and created_at > now() - interval '1 minute'`;
    assert.equal(n, 0, 'a failed preview is never cached');
  });
}

const SYNC_CASES: [Fault, Outcome][] = [
  [
    { name: 'refuses connections', proxy: { kind: 'refuse' } },
    { status: 503, code: 'tts_unreachable' },
  ],
  [
    { name: 'resets connections', proxy: { kind: 'reset' } },
    { status: 503, code: 'tts_unreachable' },
  ],
  [
    { name: 'stalls before its headers', fake: 'hang' },
    { status: 503, code: 'tts_timeout' },
  ],
  [
    { name: 'stalls mid-page', fake: 'stall_body' },
    { status: 503, code: 'tts_timeout' },
  ],
  [
    { name: 'stalls mid-error-body', fake: 'stall_error_body' },
    { status: 502, code: 'tts_unavailable' },
  ],
  [
    { name: 'trickles the page', fake: 'trickle' },
    { status: 503, code: 'tts_timeout' },
  ],
  [
    { name: 'trickles everything (TCP)', proxy: { kind: 'trickle', bytes: 1, intervalMs: 500 } },
    { status: 503, code: 'tts_timeout' },
  ],
];

for (const [fault, outcome] of SYNC_CASES) {
  Deno.test(`voices-sync, ElevenLabs ${fault.name}: ${JSON.stringify(outcome)} within the deadline`, async () => {
    await arrange(fault, 'voices');
    await expectOutcome(fault.name, () => (fault.proxy ? syncViaProxy : sync).fetch(syncRequest()), outcome);
  });
}

for (const kind of ['stall_error_body', 'stall_body', 'trickle']) {
  Deno.test(`a shared synthesis that fails (${kind}) settles every waiter, and the next identical request starts afresh`, async () => {
    await elevenLabsFake.configure({
      trickleBytes: 1,
      trickleIntervalMs: 500,
      failures: [{ kind, on: 'tts', times: 1 }],
    });
    const text = uniqueText();
    const { value: outcomes, ms } = await timed(`${kind}: three waiters`, GIVE_UP_MS, () =>
      Promise.all(
        [0, 1, 2].map(async () => {
          const res = await preview.fetch(previewRequest(text));
          return res.status === 200 ? (await drain(res)).outcome : (await json(res)).error?.code;
        }),
      ),
    );
    assert.ok(
      outcomes.every((o) => o === 'broken' || o === 'tts_unavailable'),
      JSON.stringify(outcomes),
    );
    assert.ok(ms <= DEADLINE_MS + GRACE_MS, `waiters settled after ${Math.round(ms)} ms`);
    assert.equal((await elevenLabsFake.ttsRequests(RACHEL)).length, 1, 'the waiters shared one synthesis');

    const { value: again } = await timed(`${kind}: after recovery`, GIVE_UP_MS, async () => {
      const res = await preview.fetch(previewRequest(text));
      return { status: res.status, cache: res.headers.get('x-cache'), audio: new Uint8Array(await res.arrayBuffer()) };
    });
    assert.equal(again.status, 200);
    assert.equal(again.cache, 'MISS');
    assert.ok(isMp3(again.audio), 'the whole preview, freshly synthesized');
    assert.equal((await elevenLabsFake.ttsRequests(RACHEL)).length, 2);
  });
}
