// Deepgram's streaming endpoint (/v1/listen) on 127.0.0.1, for the failure the worker must
// survive: the WebSocket handshake refused with Deepgram's real HTTP answer (status, dg-error and
// dg-request-id headers, JSON body). The @livekit/agents-plugin-deepgram 1.9.0 plugin turns a
// 401 into a non-retryable stt_error (providers.md §2.3).
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

export const FAKE_DEEPGRAM_KEY = 'dg-fake-key';

export interface FakeDeepgram {
  /** ws://127.0.0.1:PORT, the plugin's `baseUrl`. */
  baseUrl: string;
  apiKey: string;
  /** Every handshake: path with query, and whether the key was right. */
  handshakes: Array<{ url: string; authorized: boolean }>;
  /** Refuse every handshake with this status (e.g. 503), even with the right key. */
  refuseWith: number | null;
  close(): Promise<void>;
}

const REASONS: Record<number, string> = { 400: 'Bad Request', 401: 'Unauthorized', 429: 'Too Many Requests', 503: 'Service Unavailable' };

export async function startFakeDeepgram(): Promise<FakeDeepgram> {
  const sockets = new Set<Socket>();
  const server = createServer((_req, res) => {
    res.writeHead(404, { 'content-type': 'application/json' });
    res.end('{"err_code":"NOT_FOUND","err_msg":"not found"}');
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  const fake: FakeDeepgram = {
    baseUrl: '',
    apiKey: FAKE_DEEPGRAM_KEY,
    handshakes: [],
    refuseWith: null,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
  server.on('upgrade', (req: IncomingMessage, socket: Socket) => {
    const authorized = req.headers.authorization === `Token ${FAKE_DEEPGRAM_KEY}`;
    fake.handshakes.push({ url: req.url ?? '', authorized });
    const status = !authorized ? 401 : fake.refuseWith;
    if (status === null) {
      // Only refusals are scripted; an accepted stream is not needed by the tests that use this fake.
      refuse(socket, 503, 'stream not scripted in this fake');
      return;
    }
    refuse(socket, status, status === 401 ? 'Invalid credentials.' : 'Deepgram is unavailable.');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  fake.baseUrl = `ws://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return fake;
}

function refuse(socket: Socket, status: number, message: string): void {
  const requestId = crypto.randomUUID();
  const body = JSON.stringify({ err_code: status === 401 ? 'INVALID_AUTH' : 'UNAVAILABLE', err_msg: message, request_id: requestId });
  socket.end(
    `HTTP/1.1 ${status} ${REASONS[status] ?? 'Error'}\r\n` +
      `content-type: application/json\r\ndg-error: ${message}\r\ndg-request-id: ${requestId}\r\n` +
      `content-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`,
  );
}
