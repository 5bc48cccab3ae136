// The destination is checked on the resolved address and the connection goes to that address.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startWebhookReceiver, type WebhookReceiver } from '../test/fakes/webhook_receiver.ts';
import { DestinationError, type Resolver, resolveDestination } from './destination.ts';
import { sendWebhook } from './send.ts';

const PRODUCTION = { allowHttp: false, allowPrivate: false };
const resolvesTo =
  (...addresses: string[]): Resolver =>
  async () =>
    addresses.map((address) => ({ address, family: address.includes(':') ? 6 : 4 }));

let receiver: WebhookReceiver;
beforeAll(async () => {
  receiver = await startWebhookReceiver();
});
afterAll(() => receiver.close());

describe('resolveDestination', () => {
  it('accepts a public name and pins the address it resolved to', async () => {
    const destination = await resolveDestination('https://hooks.example.com/in', {
      policy: PRODUCTION,
      timeoutMs: 1_000,
      resolver: resolvesTo('93.184.216.34'),
    });
    expect(destination).toMatchObject({ address: '93.184.216.34', family: 4 });
  });

  it.each([
    ['127.0.0.1', 'loopback'],
    ['10.0.0.7', 'private'],
    ['169.254.169.254', 'cloud metadata'],
    ['::1', 'loopback'],
  ])('refuses a public-looking name that resolves to %s (DNS rebinding)', async (address, kind) => {
    const attempt = resolveDestination('https://rebind.example.com/in', {
      policy: PRODUCTION,
      timeoutMs: 1_000,
      resolver: resolvesTo(address),
    });
    await expect(attempt).rejects.toThrow(
      new DestinationError(
        `rebind.example.com resolves to ${address}, a ${kind} address; webhooks go to public addresses only`,
      ),
    );
  });

  it('refuses a name with any private address among public ones', async () => {
    const attempt = resolveDestination('https://mixed.example.com/', {
      policy: PRODUCTION,
      timeoutMs: 1_000,
      resolver: resolvesTo('93.184.216.34', '192.168.1.10'),
    });
    await expect(attempt).rejects.toThrow('192.168.1.10, a private address');
  });

  it.each([
    ['http://hooks.example.com/', 'must start with https://'],
    ['https://127.0.0.1/', 'loopback'],
    ['https://[::ffff:10.0.0.1]/', 'private'],
  ])('refuses %s before resolving anything', async (url, message) => {
    let asked = false;
    const attempt = resolveDestination(url, {
      policy: PRODUCTION,
      timeoutMs: 1_000,
      resolver: async () => ((asked = true), []),
    });
    await expect(attempt).rejects.toThrow(message);
    expect(asked).toBe(false);
  });

  it('gives up on a resolver slower than the deadline', async () => {
    const slow: Resolver = () => new Promise(() => {});
    await expect(
      resolveDestination('https://slow.example.com/', { policy: PRODUCTION, timeoutMs: 50, resolver: slow }),
    ).rejects.toThrow('took longer than 50 ms');
  });

  it('connects to the resolved address, not to whatever the name means elsewhere', async () => {
    const url = `http://receiver.example.test:${receiver.port}/hooks`;
    const destination = await resolveDestination(url, {
      policy: { allowHttp: true, allowPrivate: true },
      timeoutMs: 1_000,
      resolver: resolvesTo('127.0.0.1'),
    });
    const result = await sendWebhook(destination, { headers: {}, body: '{}', timeoutMs: 2_000 });
    expect(result.ok).toBe(true);
    expect(receiver.requests.at(-1)!.host).toBe(`receiver.example.test:${receiver.port}`);
  });
});
