import { createServer, type Server, type Socket, connect } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startTcpProxy, type TcpProxy } from './tcp_proxy.ts';
import { startTcpProxyControl } from './tcp_proxy_control.ts';

// An echo server that also greets each connection with "hello".
let echo: Server;
let echoPort = 0;
beforeAll(async () => {
  echo = createServer((socket) => {
    socket.on('error', () => {});
    socket.write('hello');
    socket.pipe(socket);
  });
  await new Promise<void>((resolve) => echo.listen(0, '127.0.0.1', resolve));
  echoPort = (echo.address() as { port: number }).port;
});
afterAll(() => new Promise((resolve) => echo.close(resolve)));

let proxy: TcpProxy;
const clients: Socket[] = [];
afterEach(async () => {
  for (const c of clients.splice(0)) c.destroy();
  await proxy?.close();
});

/** Connects through the proxy and collects what arrives. */
function dial(port: number) {
  const socket = connect(port, '127.0.0.1');
  clients.push(socket);
  const got = { text: '', error: null as string | null, closed: false, at: [] as number[] };
  socket.on('data', (d) => {
    got.text += d.toString();
    got.at.push(Date.now());
  });
  socket.on('error', (e: NodeJS.ErrnoException) => (got.error = e.code ?? e.message));
  socket.on('close', () => (got.closed = true));
  return { socket, got };
}
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
async function until(predicate: () => boolean, ms = 3000) {
  const end = Date.now() + ms;
  while (!predicate()) {
    if (Date.now() > end) throw new Error('condition not met');
    await sleep(10);
  }
}

describe('TCP fault proxy', () => {
  it('passes bytes both ways, then stalls an open connection and lets the held bytes through on pass', async () => {
    proxy = await startTcpProxy({ host: '127.0.0.1', port: echoPort });
    const { socket, got } = dial(proxy.port);
    await until(() => got.text === 'hello');
    await proxy.setMode({ kind: 'stall' });
    socket.write('ping');
    await sleep(200);
    expect(got.text).toBe('hello');
    await proxy.setMode({ kind: 'pass' });
    await until(() => got.text === 'helloping');
  });

  it('refuses connections (ECONNREFUSED) and listens again on the same port', async () => {
    proxy = await startTcpProxy({ host: '127.0.0.1', port: echoPort });
    await proxy.setMode({ kind: 'refuse' });
    const refused = dial(proxy.port);
    await until(() => refused.got.error !== null);
    expect(refused.got.error).toBe('ECONNREFUSED');
    await proxy.setMode({ kind: 'pass' });
    const again = dial(proxy.port);
    await until(() => again.got.text === 'hello');
  });

  it('resets new and open connections', async () => {
    proxy = await startTcpProxy({ host: '127.0.0.1', port: echoPort });
    const open = dial(proxy.port);
    await until(() => open.got.text === 'hello');
    proxy.cut();
    await until(() => open.got.closed);
    const fresh = dial(proxy.port);
    await until(() => fresh.got.closed);
    expect(fresh.got.text).toBe('');
    expect(proxy.connections).toBe(1);
  });

  it('stall_after forwards N bytes of the answer, then nothing', async () => {
    proxy = await startTcpProxy({ host: '127.0.0.1', port: echoPort });
    await proxy.setMode({ kind: 'stall_after', bytes: 3 });
    const { got } = dial(proxy.port);
    await until(() => got.text === 'hel');
    await sleep(200);
    expect(got.text).toBe('hel');
    expect(got.closed).toBe(false);
  });

  it('trickles the answer a few bytes per interval', async () => {
    proxy = await startTcpProxy({ host: '127.0.0.1', port: echoPort });
    await proxy.setMode({ kind: 'trickle', bytes: 1, intervalMs: 50 });
    const { got } = dial(proxy.port);
    await until(() => got.text === 'hello');
    expect(got.at.length).toBe(5);
    expect(got.at.at(-1)! - got.at[0]!).toBeGreaterThanOrEqual(150);
  });

  it('is driven over HTTP by the control server', async () => {
    const control = await startTcpProxyControl();
    try {
      const opened = await (
        await fetch(`${control.url}/proxies`, {
          method: 'POST',
          body: JSON.stringify({ host: '127.0.0.1', port: echoPort }),
        })
      ).json();
      const first = dial(opened.port);
      await until(() => first.got.text === 'hello');
      const set = await fetch(`${control.url}/proxies/${opened.id}/mode`, {
        method: 'POST',
        body: JSON.stringify({ kind: 'reset' }),
      });
      expect(set.status).toBe(200);
      await until(() => first.got.closed);
      expect(await (await fetch(`${control.url}/proxies/${opened.id}`)).json()).toEqual({
        mode: { kind: 'reset' },
        connections: 1,
      });
      const bad = await fetch(`${control.url}/proxies/${opened.id}/mode`, {
        method: 'POST',
        body: JSON.stringify({ kind: 'explode' }),
      });
      expect(bad.status).toBe(400);
    } finally {
      await control.close();
    }
  });
});
