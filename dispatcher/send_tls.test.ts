// sendWebhook over TLS, against a real HTTPS receiver on 127.0.0.1 with the test certificates in
// test/fakes/tls (a test CA, a certificate for hooks.example.test, one for another name, and a
// self-signed one). The URL's host name never resolves: the connection goes to the pinned address,
// and the certificate is still checked against the name, with SNI. A certificate that fails the
// check gets no byte of the webhook.
import { readFileSync } from 'node:fs';
import https from 'node:https';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { Destination } from './destination.ts';
import { createAgents, type SendOptions, sendWebhook } from './send.ts';

const TLS = path.join(import.meta.dirname, '..', 'test', 'fakes', 'tls');
const read = (name: string) => readFileSync(path.join(TLS, name), 'utf8');
const HOST = 'hooks.example.test';

interface Received {
  servername: string | undefined;
  body: string;
}

const servers: https.Server[] = [];
afterEach(async () => {
  for (const server of servers.splice(0)) {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
});

/** An HTTPS receiver presenting `cert`; records what reached it. */
async function receiver(cert: string): Promise<{ port: number; received: Received[] }> {
  const received: Received[] = [];
  const server = https.createServer({ cert: read(`${cert}.pem`), key: read(`${cert}.key`) }, (req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk));
    req.on('end', () => {
      received.push({ servername: (req.socket as unknown as { servername?: string }).servername, body });
      res.writeHead(200).end('thanks');
    });
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { port: (server.address() as { port: number }).port, received };
}

function send(port: number, agents: SendOptions['agents']) {
  const destination: Destination = { url: new URL(`https://${HOST}:${port}/hook`), address: '127.0.0.1', family: 4 };
  return sendWebhook(destination, { headers: {}, body: '{"ok":true}', timeoutMs: 5_000, agents });
}

/** The dispatcher's own agents, trusting the test CA as NODE_EXTRA_CA_CERTS would. */
function agentsTrustingTestCa(): SendOptions['agents'] {
  const agents = createAgents(4);
  return { http: agents.http, https: new https.Agent({ keepAlive: true, ca: read('ca.pem') }) };
}

describe('sendWebhook over TLS', () => {
  it('delivers to a certificate for the URL host, at the pinned address, with SNI', async () => {
    const { port, received } = await receiver('hooks');
    const result = await send(port, agentsTrustingTestCa());
    expect(result).toMatchObject({ ok: true, statusCode: 200, error: null, responseBody: 'thanks' });
    expect(received).toEqual([{ servername: HOST, body: '{"ok":true}' }]);
  });

  it.each([
    ['a certificate for another host name', 'wrong_name', 'certificate is not valid for hooks.example.test'],
    ['a self-signed certificate', 'self_signed', 'certificate is not trusted'],
  ])('refuses %s and sends nothing', async (_name, cert, error) => {
    const { port, received } = await receiver(cert);
    const result = await send(port, agentsTrustingTestCa());
    expect(result).toMatchObject({ ok: false, statusCode: null, responseBody: null });
    expect(result.error).toContain(error);
    expect(received).toEqual([]);
  });

  it('the default agents trust only the system CAs: the test CA is refused', async () => {
    const { port, received } = await receiver('hooks');
    const result = await send(port, createAgents(4));
    expect(result.ok).toBe(false);
    expect(result.error).toContain('certificate is not trusted');
    expect(received).toEqual([]);
  });
});
