// sendWebhook against a real receiver on 127.0.0.1: every way an attempt can end.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startWebhookReceiver, type WebhookReceiver } from '../test/fakes/webhook_receiver.ts';
import type { Destination } from './destination.ts';
import { sendWebhook } from './send.ts';

let receiver: WebhookReceiver;
let destination: Destination;
const send = (timeoutMs = 10_000) =>
  sendWebhook(destination, { headers: { 'content-type': 'application/json' }, body: '{"ok":true}', timeoutMs });

beforeAll(async () => {
  receiver = await startWebhookReceiver();
  destination = { url: new URL(receiver.url), address: '127.0.0.1', family: 4 };
});
afterAll(() => receiver.close());
beforeEach(() => {
  receiver.fallback = { status: 204 };
});

describe('sendWebhook', () => {
  it('a 2xx is a success, with status, duration and the response body', async () => {
    receiver.script({ status: 200, body: 'thanks' });
    expect(await send()).toMatchObject({ ok: true, statusCode: 200, error: null, responseBody: 'thanks' });
  });

  it('a 500 is a failure that keeps the status and body', async () => {
    receiver.script({ status: 500, body: 'boom' });
    expect(await send()).toMatchObject({ ok: false, statusCode: 500, error: 'HTTP 500', responseBody: 'boom' });
  });

  it('does not follow a redirect', async () => {
    const before = receiver.requests.length;
    receiver.script({ status: 302, headers: { location: 'http://169.254.169.254/latest' } });
    const result = await send();
    expect(result).toMatchObject({ ok: false, statusCode: 302 });
    expect(result.error).toContain('redirects are not followed');
    expect(receiver.requests.length).toBe(before + 1);
  });

  it('a receiver that closes the socket is a failure without a status', async () => {
    receiver.script({ close: true });
    expect(await send()).toMatchObject({
      ok: false,
      statusCode: null,
      error: 'connection closed before a response',
      responseBody: null,
    });
  });

  it('keeps only the first 1024 bytes of a long response body, as valid text without NUL', async () => {
    receiver.script({ status: 400, body: `\u0000${'é'.repeat(2000)}` });
    const result = await send();
    expect(Buffer.byteLength(result.responseBody!)).toBeLessThanOrEqual(1024);
    expect(result.responseBody).toMatch(/^é+$/);
  });

  it('a refused connection is a failure', async () => {
    const closed = await startWebhookReceiver();
    await closed.close();
    const result = await sendWebhook(
      { url: new URL(closed.url), address: '127.0.0.1', family: 4 },
      { headers: {}, body: '{}', timeoutMs: 2_000 },
    );
    expect(result).toMatchObject({ ok: false, statusCode: null, error: 'connection refused' });
  });

  // The real 10 s deadline: both cases run side by side.
  it.concurrent('a 2xx after 9 s is still a success', async () => {
    const slow = await startWebhookReceiver();
    slow.script({ status: 202, delayMs: 9_000 });
    try {
      const result = await sendWebhook(
        { url: new URL(slow.url), address: '127.0.0.1', family: 4 },
        { headers: {}, body: '{}', timeoutMs: 10_000 },
      );
      expect(result).toMatchObject({ ok: true, statusCode: 202 });
      expect(result.durationMs).toBeGreaterThanOrEqual(8_900);
    } finally {
      await slow.close();
    }
  }, 20_000);

  it.concurrent('a receiver that never answers times out at 10 s', async () => {
    const silent = await startWebhookReceiver();
    silent.script({ hang: true });
    try {
      const result = await sendWebhook(
        { url: new URL(silent.url), address: '127.0.0.1', family: 4 },
        { headers: {}, body: '{}', timeoutMs: 10_000 },
      );
      expect(result).toMatchObject({ ok: false, statusCode: null, error: 'timed out after 10000 ms' });
      expect(result.durationMs).toBeGreaterThanOrEqual(9_900);
      expect(result.durationMs).toBeLessThan(11_000);
    } finally {
      await silent.close();
    }
  }, 20_000);
});
