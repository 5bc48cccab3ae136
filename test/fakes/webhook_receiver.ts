// A webhook receiver on 127.0.0.1 that verifies every request the way a customer's server would,
// with the `standardwebhooks` library, and answers as scripted: a status, late, never, by closing
// the socket, or with a redirect. Scripted answers are used in order, then `fallback` (default 204).
//
//   const receiver = await startWebhookReceiver({ secrets: [secret] });
//   receiver.script({ status: 500 }, { status: 500 });  // the first two requests fail
//   await receiver.waitFor(1);                          // the first verified delivery
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { Webhook } from 'standardwebhooks';

export interface ReceiverAnswer {
  /** Default 204. */
  status?: number;
  /** Wait this long before answering, ms. */
  delayMs?: number;
  /** Never answer (until the receiver closes). */
  hang?: boolean;
  /** Destroy the socket instead of answering. */
  close?: boolean;
  body?: string;
  headers?: Record<string, string>;
}

export interface ReceivedWebhook {
  /** webhook-id */
  id: string;
  timestamp: string;
  signature: string;
  body: string;
  host: string | undefined;
  /** Which configured secret verified it (index), or null when none did. */
  verifiedWith: number | null;
  payload: any;
  at: number;
  answeredWith: ReceiverAnswer;
}

export interface WebhookReceiver {
  url: string;
  port: number;
  /** Every request, verified or not, in arrival order. */
  readonly requests: ReceivedWebhook[];
  /** Secrets the receiver accepts; replace them at will. */
  secrets: string[];
  script(...answers: ReceiverAnswer[]): void;
  fallback: ReceiverAnswer;
  /** Resolves when `count` requests have arrived (verified or not). */
  waitFor(count: number, timeoutMs?: number): Promise<ReceivedWebhook[]>;
  close(): Promise<void>;
}

export async function startWebhookReceiver(
  options: { secrets?: string[]; port?: number } = {},
): Promise<WebhookReceiver> {
  const requests: ReceivedWebhook[] = [];
  const scripted: ReceiverAnswer[] = [];
  const sockets = new Set<Socket>();
  const waiters: (() => void)[] = [];
  const receiver = {
    secrets: options.secrets ?? [],
    fallback: { status: 204 } as ReceiverAnswer,
  };
  const server = createServer((req, res) => void handle(req, res));
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks).toString('utf8');
    const answer = scripted.shift() ?? receiver.fallback;
    const header = (name: string) => String(req.headers[name] ?? '');
    const record: ReceivedWebhook = {
      id: header('webhook-id'),
      timestamp: header('webhook-timestamp'),
      signature: header('webhook-signature'),
      body,
      host: req.headers.host,
      verifiedWith: verify(body, req),
      payload: safeJson(body),
      at: Date.now(),
      answeredWith: answer,
    };
    requests.push(record);
    for (const wake of waiters.splice(0)) wake();
    if (answer.close) return void req.socket.destroy();
    if (answer.hang) return;
    if (answer.delayMs) await new Promise((resolve) => setTimeout(resolve, answer.delayMs));
    res.writeHead(answer.status ?? 204, answer.headers ?? {});
    res.end(answer.body);
  }

  function verify(body: string, req: IncomingMessage): number | null {
    const headers = Object.fromEntries(Object.entries(req.headers).map(([k, v]) => [k, String(v)]));
    for (const [index, secret] of receiver.secrets.entries()) {
      try {
        new Webhook(secret).verify(body, headers);
        return index;
      } catch {
        // the next secret may match
      }
    }
    return null;
  }

  await new Promise<void>((resolve) => server.listen(options.port ?? 0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return Object.assign(receiver, {
    url: `http://127.0.0.1:${port}/hooks`,
    port,
    requests,
    script: (...answers: ReceiverAnswer[]) => void scripted.push(...answers),
    async waitFor(count: number, timeoutMs = 15_000) {
      const until = Date.now() + timeoutMs;
      while (requests.length < count) {
        const left = until - Date.now();
        if (left <= 0)
          throw new Error(`webhook receiver: ${requests.length} of ${count} requests after ${timeoutMs} ms`);
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, left);
          waiters.push(() => (clearTimeout(timer), resolve()));
        });
      }
      return requests.slice(0, count);
    },
    async close() {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  });
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
