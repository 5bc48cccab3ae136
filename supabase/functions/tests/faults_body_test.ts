// Request bodies over a real socket (Deno.serve, raw HTTP/1.1): the size cap holds whatever the
// framing (Content-Length or chunked, ended or not), and a body that stalls or trickles is cut
// off at REQUEST_BODY_TIMEOUT_MS. Each answer comes within its bound plus a second.
import assert from 'node:assert/strict';
import { loadEnv } from '../_shared/env.ts';
import { createVoicePreview, VOICE_PREVIEW_ENV } from '../voice-preview/handler.ts';
import { timed } from './faults.ts';
import { createTestDatabase, elevenLabsFake, RACHEL, TEST_JWT_SECRET, userToken } from './harness.ts';

const BODY_TIMEOUT_MS = 1000;
const GRACE_MS = 1000;
const db = await createTestDatabase();
const token = await userToken(await db.createUser());
const app = createVoicePreview(
  loadEnv(VOICE_PREVIEW_ENV, {
    SUPABASE_DB_URL: db.url,
    JWT_SECRET: TEST_JWT_SECRET,
    ELEVEN_API_KEY: elevenLabsFake.apiKey,
    ELEVENLABS_BASE_URL: elevenLabsFake.url,
    LOG_LEVEL: 'silent',
    REQUEST_BODY_TIMEOUT_MS: String(BODY_TIMEOUT_MS),
  }),
);
const server = Deno.serve({ port: 0, hostname: '127.0.0.1', onListen: () => {} }, (req) => app.fetch(req));
const { port } = server.addr as Deno.NetAddr;

Deno.test.afterAll(async () => {
  await server.shutdown();
  await app.close();
  await db.close();
});

const encoder = new TextEncoder();
const chunk = (text: string) => `${text.length.toString(16)}\r\n${text}\r\n`;

/**
 * Writes a POST with `framing` and the given body parts (a number pauses that many ms) while it
 * waits for the status line of the answer; the answer may come before the body is all sent.
 */
async function rawPost(
  framing: 'chunked' | { contentLength: number },
  parts: (string | number)[],
  end: boolean,
): Promise<number> {
  const conn = await Deno.connect({ hostname: '127.0.0.1', port });
  const framingHeader =
    framing === 'chunked' ? 'transfer-encoding: chunked' : `content-length: ${framing.contentLength}`;
  const head = `POST /voice-preview HTTP/1.1\r\nhost: 127.0.0.1\r\nauthorization: Bearer ${token}\r\ncontent-type: application/json\r\n${framingHeader}\r\n\r\n`;
  const stop = new AbortController();
  const write = (text: string) => conn.write(encoder.encode(text)).catch(() => 0);
  const writing = (async () => {
    await write(head);
    for (const part of parts) {
      if (stop.signal.aborted) return;
      if (typeof part === 'number') await pause(part, stop.signal);
      else await write(framing === 'chunked' ? chunk(part) : part);
    }
    if (end && framing === 'chunked' && !stop.signal.aborted) await write('0\r\n\r\n');
  })();
  try {
    return await readStatus(conn);
  } finally {
    stop.abort();
    await writing;
    conn.close();
  }
}

function pause(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal.addEventListener(
      'abort',
      () => {
        clearTimeout(timer);
        resolve();
      },
      { once: true },
    );
  });
}

async function readStatus(conn: Deno.Conn): Promise<number> {
  const buffer = new Uint8Array(4096);
  let text = '';
  while (!text.includes('\r\n')) {
    const n = await conn.read(buffer);
    if (n === null) throw new Error(`connection closed before an answer: ${JSON.stringify(text)}`);
    text += new TextDecoder().decode(buffer.subarray(0, n));
  }
  return Number(text.split(' ')[1]);
}

const json9k = JSON.stringify({ voice_id: RACHEL, text: 'x'.repeat(9000) });
const pieces = (text: string, size: number) =>
  Array.from({ length: Math.ceil(text.length / size) }, (_, i) => text.slice(i * size, (i + 1) * size));

const CASES: [string, () => Promise<number>, number, number][] = [
  ['a chunked body over 8 KiB', () => rawPost('chunked', pieces(json9k, 1024), true), 413, 0],
  ['a chunked body over 8 KiB that never ends', () => rawPost('chunked', pieces(json9k, 1024), false), 413, 0],
  [
    'a declared Content-Length over 8 KiB',
    () => rawPost({ contentLength: json9k.length }, [json9k.slice(0, 100)], false),
    413,
    0,
  ],
  ['a chunked body that stalls', () => rawPost('chunked', ['{"voice_id":'], false), 408, BODY_TIMEOUT_MS],
  [
    'a Content-Length body that stalls',
    () => rawPost({ contentLength: 200 }, ['{"voice_id":'], false),
    408,
    BODY_TIMEOUT_MS,
  ],
  [
    'a chunked body that trickles',
    () =>
      rawPost(
        'chunked',
        pieces('{"voice_id":"21m00Tcm4TlvDq8ikWAM","text":"hi"}', 1).flatMap((c) => [c, 300]),
        true,
      ),
    408,
    BODY_TIMEOUT_MS,
  ],
];

for (const [name, send, status, boundMs] of CASES) {
  Deno.test(`voice-preview: ${name} gets ${status} within ${boundMs} ms plus a second`, async () => {
    const { value, ms } = await timed(name, boundMs + 10_000, send);
    assert.equal(value, status, name);
    assert.ok(ms <= boundMs + GRACE_MS, `${name}: answered after ${Math.round(ms)} ms`);
  });
}

Deno.test('voice-preview: a chunked body under the cap is read whole', async () => {
  await elevenLabsFake.reset();
  const body = JSON.stringify({ voice_id: RACHEL, text: 'Chunked but small.' });
  const { value } = await timed('small chunked body', 10_000, () => rawPost('chunked', pieces(body, 8), true));
  assert.equal(value, 200);
});
