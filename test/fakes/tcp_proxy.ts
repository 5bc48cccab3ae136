// A loopback TCP fault proxy: put it between a client and a real server (Postgres, an HTTP fake)
// and switch, at any time, how the path behaves. A mode applies to new connections and to the
// ones already open, so a warm pooled connection can stall mid-conversation:
//   pass         forwards both ways (the start)
//   refuse       stops listening (ECONNREFUSED) and resets open connections
//   reset        accepts and resets at once (RST); open connections are reset too
//   stall        accepts, then forwards nothing either way (held bytes flow again on `pass`)
//   stall_after  forwards `bytes` more bytes from the server to each client, then stalls
//   trickle      forwards the server's bytes at `bytes` per `intervalMs` (default 1 per 500 ms)
// `cut()` / `restore()` are `reset` / `pass`. Deno tests drive it over HTTP (tcp_proxy_control.ts).
import { createServer, type Server, type Socket } from 'node:net';
import { openLink, type ProxyLink } from './tcp_proxy_link.ts';
import { type ProxyMode, resolveMode } from './tcp_proxy_mode.ts';

export type { ProxyMode } from './tcp_proxy_mode.ts';

export interface TcpProxy {
  port: number;
  /** `url` with its host and port replaced by the proxy's. */
  rewrite(url: string): string;
  setMode(mode: ProxyMode): Promise<void>;
  readonly mode: ProxyMode;
  /** Same as setMode({ kind: 'reset' }). */
  cut(): void;
  /** Same as setMode({ kind: 'pass' }). */
  restore(): void;
  /** Connections accepted and linked to the target (not the ones reset or refused). */
  readonly connections: number;
  close(): Promise<void>;
}

export async function startTcpProxy(target: { host: string; port: number }): Promise<TcpProxy> {
  const links = new Set<ProxyLink>();
  let mode: ProxyMode = { kind: 'pass' };
  let connections = 0;
  let closed = false;
  const server: Server = createServer((client) => accept(client));
  await listen(server, 0);
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;

  function accept(client: Socket): void {
    if (mode.kind === 'reset' || mode.kind === 'refuse') {
      client.on('error', () => {}).resetAndDestroy();
      return;
    }
    connections += 1;
    const link = openLink(client, target, mode, () => links.delete(link));
    links.add(link);
  }

  async function setMode(next: ProxyMode): Promise<void> {
    const wasRefusing = mode.kind === 'refuse';
    mode = resolveMode(next);
    if (mode.kind === 'refuse' && !wasRefusing) server.close();
    if (mode.kind !== 'refuse' && wasRefusing && !closed) await listen(server, port);
    for (const link of links) link.setMode(mode);
  }

  return {
    port,
    rewrite(url) {
      const parsed = new URL(url);
      parsed.hostname = '127.0.0.1';
      parsed.port = String(port);
      return parsed.toString();
    },
    setMode,
    get mode() {
      return mode;
    },
    cut() {
      void setMode({ kind: 'reset' });
    },
    restore() {
      void setMode({ kind: 'pass' });
    },
    get connections() {
      return connections;
    },
    async close() {
      closed = true;
      for (const link of links) link.destroy();
      if (server.listening) await new Promise((resolve) => server.close(resolve));
    },
  };
}

function listen(server: Server, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
}
