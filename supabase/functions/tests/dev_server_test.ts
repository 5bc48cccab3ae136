// The local functions gateway forwards each request to its function without reading the
// incoming request's signal: Deno.serve warns that it aborts on successful responses (legacy
// behaviour), and nothing here needs it.
import assert from 'node:assert/strict';
import { forwardedRequest } from '../_dev/dev_server.ts';

/** Runs `work` and returns what it (and Deno itself) printed with console.warn. */
async function warningsDuring(work: () => Promise<void>): Promise<string[]> {
  const warnings: string[] = [];
  const original = console.warn;
  console.warn = (...args: unknown[]) => warnings.push(args.map(String).join(' '));
  try {
    await work();
  } finally {
    console.warn = original;
  }
  return warnings;
}

Deno.test('the gateway forwards method, path, headers and body, and never reads request.signal', async () => {
  const seen: { method: string; url: string; header: string | null; body: string }[] = [];
  const server = Deno.serve({ port: 0, hostname: '127.0.0.1', onListen: () => {} }, async (req) => {
    const inner = forwardedRequest(req, new URL('http://127.0.0.1/voice-preview/x?a=1'));
    seen.push({ method: inner.method, url: inner.url, header: inner.headers.get('x-test'), body: await inner.text() });
    return new Response('ok');
  });
  try {
    const { port } = server.addr as Deno.NetAddr;
    const warnings = await warningsDuring(async () => {
      const res = await fetch(`http://127.0.0.1:${port}/functions/v1/voice-preview/x?a=1`, {
        method: 'POST',
        headers: { 'x-test': 'yes' },
        body: '{"voice_id":"x"}',
        signal: AbortSignal.timeout(5_000),
      });
      assert.equal(await res.text(), 'ok');
    });
    assert.deepEqual(seen, [
      { method: 'POST', url: 'http://127.0.0.1/voice-preview/x?a=1', header: 'yes', body: '{"voice_id":"x"}' },
    ]);
    assert.deepEqual(
      warnings.filter((w) => /request\.signal/.test(w)),
      [],
    );
  } finally {
    await server.shutdown();
  }
});
