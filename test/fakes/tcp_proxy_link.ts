// One client connection through the fault proxy and its connection to the target. Bytes wait in
// a queue per direction and `pump()` moves what the current mode allows; a mode change, new
// bytes and the trickle timer each pump again.
import { connect, type Socket } from 'node:net';
import type { ProxyMode } from './tcp_proxy_mode.ts';

export interface ProxyLink {
  setMode(mode: ProxyMode): void;
  destroy(): void;
}

export function openLink(
  client: Socket,
  target: { host: string; port: number },
  initial: ProxyMode,
  onClose: () => void,
): ProxyLink {
  const upstream = connect(target.port, target.host);
  const toServer: Buffer[] = [];
  const toClient: Buffer[] = [];
  let mode = initial;
  let budget = initial.kind === 'stall_after' ? initial.bytes : 0;
  let ticker: ReturnType<typeof setInterval> | null = null;
  let done = false;

  const drop = () => {
    if (done) return;
    done = true;
    stopTicker();
    client.destroy();
    upstream.destroy();
    onClose();
  };
  client.on('error', drop).on('close', drop).on('end', drop);
  upstream.on('error', drop).on('close', drop).on('end', drop);
  client.on('data', (chunk: Buffer) => {
    toServer.push(chunk);
    pump();
  });
  upstream.on('data', (chunk: Buffer) => {
    toClient.push(chunk);
    pump();
  });

  function pump(): void {
    if (done) return;
    if (mode.kind === 'pass') {
      flush(toServer, upstream, Infinity);
      flush(toClient, client, Infinity);
    } else if (mode.kind === 'stall_after' && budget > 0) {
      budget -= flush(toClient, client, budget);
      if (budget > 0) flush(toServer, upstream, Infinity);
    } else if (mode.kind === 'trickle') {
      flush(toServer, upstream, Infinity);
    }
  }

  function tick(): void {
    if (mode.kind === 'trickle') flush(toClient, client, mode.bytes ?? 1);
  }

  function stopTicker(): void {
    if (ticker) clearInterval(ticker);
    ticker = null;
  }

  function setMode(next: ProxyMode): void {
    if (done) return;
    if (next.kind === 'reset' || next.kind === 'refuse') {
      client.resetAndDestroy();
      upstream.resetAndDestroy();
      drop();
      return;
    }
    mode = next;
    if (next.kind === 'stall_after') budget = next.bytes;
    stopTicker();
    if (next.kind === 'trickle') ticker = setInterval(tick, next.intervalMs);
    pump();
  }

  if (initial.kind === 'trickle') ticker = setInterval(tick, initial.intervalMs);
  return { setMode, destroy: drop };
}

/** Writes up to `limit` bytes from the front of `queue` to `socket`; returns how many. */
function flush(queue: Buffer[], socket: Socket, limit: number): number {
  let sent = 0;
  while (queue.length > 0 && sent < limit) {
    const head = queue[0]!;
    const take = Math.min(head.length, limit - sent);
    socket.write(take === head.length ? head : head.subarray(0, take));
    if (take === head.length) queue.shift();
    else queue[0] = head.subarray(take);
    sent += take;
  }
  return sent;
}
