// withinMs under a starved event loop: an answer already on the socket when the overdue timer
// fires still counts; a provider that never answered still times out.
import { once } from 'node:events';
import { createServer, type Socket, connect } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { withinMs } from './provider_deadlines.ts';

const closers: (() => void)[] = [];
afterEach(() => {
  for (const close of closers.splice(0)) close();
});

/** A connected loopback pair: what `server` writes arrives on `client`. */
async function socketPair(): Promise<{ server: Socket; client: Socket }> {
  const listener = createServer();
  listener.listen(0, '127.0.0.1');
  await once(listener, 'listening');
  const address = listener.address() as { port: number };
  const accepted = once(listener, 'connection');
  const client = connect(address.port, '127.0.0.1');
  const [[server]] = await Promise.all([accepted, once(client, 'connect')]);
  closers.push(() => {
    client.destroy();
    (server as Socket).destroy();
    listener.close();
  });
  return { server: server as Socket, client };
}

/** Keeps the thread busy, as a host starved of CPU does. */
function busyFor(ms: number): void {
  const until = performance.now() + ms;
  while (performance.now() < until) {
    // spin
  }
}

describe('withinMs on a starved event loop', () => {
  it('counts an answer that arrived while the process could not run, though its timer is overdue', async () => {
    const { server, client } = await socketPair();
    const answer = once(client, 'data').then(([chunk]) => String(chunk));
    const outcome = withinMs(answer, 100);
    server.write('first audio');
    // The answer reaches the socket within a millisecond; the process only looks 300 ms later,
    // when the 100 ms timer is overdue too.
    busyFor(300);
    expect(await outcome).toBe('first audio');
  });

  it('still times out a provider that has not answered', async () => {
    const { client } = await socketPair();
    const outcome = withinMs(once(client, 'data'), 100);
    busyFor(300);
    expect(await outcome).toBe('timeout');
  });
});
