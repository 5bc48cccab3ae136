// Fault proxies on demand over HTTP, for tests that run outside this Node process (the Deno
// function tests, through scripts/functions/deno_test_fakes.ts):
//   POST /proxies               { host, port }   -> { id, port }   a new proxy to that target
//   POST /proxies/<id>/mode     ProxyMode        -> { ok: true }   (tcp_proxy_mode.ts)
//   GET  /proxies/<id>                           -> { mode, connections }
//   DELETE /proxies/<id>                         -> { ok: true }
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { startTcpProxy, type TcpProxy } from './tcp_proxy.ts';

export interface TcpProxyControl {
  /** http://127.0.0.1:PORT */
  url: string;
  close(): Promise<void>;
}

export async function startTcpProxyControl(): Promise<TcpProxyControl> {
  const proxies = new Map<string, TcpProxy>();
  let next = 0;
  const server = createServer((req, res) => {
    route(req, res).catch((error: unknown) =>
      send(res, 400, { error: error instanceof Error ? error.message : String(error) }),
    );
  });

  async function route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const [, root, id, action] = new URL(req.url ?? '/', 'http://x').pathname.split('/');
    if (root !== 'proxies') return send(res, 404, { error: 'unknown path' });
    if (!id && req.method === 'POST') {
      const target = (await readJson(req)) as { host: string; port: number };
      const proxy = await startTcpProxy({ host: target.host, port: Number(target.port) });
      const key = String(++next);
      proxies.set(key, proxy);
      return send(res, 200, { id: key, port: proxy.port });
    }
    const proxy = proxies.get(id ?? '');
    if (!proxy) return send(res, 404, { error: `no proxy ${id}` });
    if (action === 'mode' && req.method === 'POST') {
      await proxy.setMode((await readJson(req)) as never);
      return send(res, 200, { ok: true });
    }
    if (!action && req.method === 'GET') return send(res, 200, { mode: proxy.mode, connections: proxy.connections });
    if (!action && req.method === 'DELETE') {
      proxies.delete(id!);
      await proxy.close();
      return send(res, 200, { ok: true });
    }
    send(res, 404, { error: 'unknown path' });
  }

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    async close() {
      for (const proxy of proxies.values()) await proxy.close();
      proxies.clear();
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

function send(res: ServerResponse, status: number, payload: unknown): void {
  const text = JSON.stringify(payload);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

async function readJson(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return JSON.parse(Buffer.concat(chunks).toString() || '{}');
}
