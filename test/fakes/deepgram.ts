// Deepgram's streaming endpoint (/v1/listen) on 127.0.0.1, for the failures the worker must
// survive: the WebSocket handshake refused with Deepgram's real HTTP answer (status, dg-error and
// dg-request-id headers, JSON body), and streams that open and then go wrong. The
// @livekit/agents-plugin-deepgram 1.9.0 plugin turns a 401 into a non-retryable stt_error, but it
// notices neither a silent stream nor a mid-stream close (providers.md §2.3).
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { type WebSocket, WebSocketServer } from 'ws';
import { SpeechEndpointer } from './deepgram_speech.ts';

export const FAKE_DEEPGRAM_KEY = 'dg-fake-key';

/**
 * What an accepted stream does once audio arrives:
 * - transcribe: an interim, then a final Results (`transcript`) per second of audio
 * - silent: takes the audio, never answers (a wedged upstream)
 * - stall_after_first: one interim Results, then nothing
 * - reset: one interim Results, then the TCP connection is destroyed (no close frame)
 * - speech: follows the audio's energy: interims while it is loud, the final `speechFinalDelayMs`
 *   after the end of speech (deepgram_speech.ts)
 */
export type DeepgramStreamMode = 'transcribe' | 'silent' | 'stall_after_first' | 'reset' | 'speech';

export interface FakeDeepgram {
  /** ws://127.0.0.1:PORT, the plugin's `baseUrl`. */
  baseUrl: string;
  apiKey: string;
  /** Every handshake: path with query, and whether the key was right. */
  handshakes: Array<{ url: string; authorized: boolean }>;
  /** Refuse every handshake with this status (e.g. 503), even with the right key. */
  refuseWith: number | null;
  /** What accepted streams do. Default 'transcribe'. */
  streamMode: DeepgramStreamMode;
  /** The text each Results carries in 'transcribe' mode. */
  transcript: string;
  /** Audio bytes received over all accepted streams. */
  audioBytes: number;
  /** In 'speech' mode, the final Results this long after the end of speech, in ms. Default 150. */
  speechFinalDelayMs: number;
  close(): Promise<void>;
}

const REASONS: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  429: 'Too Many Requests',
  503: 'Service Unavailable',
};

export async function startFakeDeepgram(): Promise<FakeDeepgram> {
  const sockets = new Set<Socket>();
  const server = createServer((_req, res) => {
    res.writeHead(404, { 'content-type': 'application/json' });
    res.end('{"err_code":"NOT_FOUND","err_msg":"not found"}');
  });
  const wss = new WebSocketServer({ noServer: true });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  const fake: FakeDeepgram = {
    baseUrl: '',
    apiKey: FAKE_DEEPGRAM_KEY,
    handshakes: [],
    refuseWith: null,
    streamMode: 'transcribe',
    transcript: 'Hello there.',
    audioBytes: 0,
    speechFinalDelayMs: 150,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        wss.close();
        server.close(() => resolve());
      }),
  };
  server.on('upgrade', (req: IncomingMessage, socket: Socket, head: Buffer) => {
    const authorized = req.headers.authorization === `Token ${FAKE_DEEPGRAM_KEY}`;
    fake.handshakes.push({ url: req.url ?? '', authorized });
    const status = !authorized ? 401 : fake.refuseWith;
    if (status !== null)
      return refuse(socket, status, status === 401 ? 'Invalid credentials.' : 'Deepgram is unavailable.');
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    wss.handleUpgrade(req, socket, head, (ws) => serveStream(ws, socket, url.searchParams, fake));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  fake.baseUrl = `ws://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return fake;
}

function serveStream(ws: WebSocket, socket: Socket, params: URLSearchParams, fake: FakeDeepgram): void {
  const mode = fake.streamMode;
  const bytesPerSecond = Number(params.get('sample_rate') ?? 16000) * 2 * Number(params.get('channels') ?? 1);
  let received = 0;
  let answered = 0;
  const speech =
    mode === 'speech'
      ? new SpeechEndpointer(ws, {
          finalDelayMs: fake.speechFinalDelayMs,
          transcript: fake.transcript,
          bytesPerMs: bytesPerSecond / 1000,
        })
      : null;
  ws.on('message', (data, isBinary) => {
    if (!isBinary) {
      const message = JSON.parse(String(data)) as { type?: string };
      if (message.type === 'CloseStream') ws.close(1000);
      return;
    }
    const bytes = (data as Buffer).byteLength;
    received += bytes;
    fake.audioBytes += bytes;
    if (speech) {
      speech.push(data as Buffer);
      return;
    }
    if (mode === 'silent' || (answered > 0 && mode !== 'transcribe')) return;
    if (received < (answered + 1) * bytesPerSecond) return;
    answered += 1;
    ws.send(JSON.stringify(results(fake.transcript, answered, mode === 'transcribe')));
    if (mode === 'reset') socket.destroy();
  });
}

/** A Results message as the plugin parses it (providers.md §2.2); final ones end the utterance. */
function results(transcript: string, n: number, isFinal: boolean) {
  return {
    type: 'Results',
    channel_index: [0, 1],
    duration: 1,
    start: n - 1,
    is_final: isFinal,
    speech_final: isFinal,
    channel: { alternatives: [{ transcript, confidence: 0.98, words: [] }] },
    metadata: {
      request_id: `dg-req-${n}`,
      model_info: { name: 'general-nova-3', version: '1', arch: 'nova-3' },
      model_uuid: 'uuid-1',
    },
  };
}

function refuse(socket: Socket, status: number, message: string): void {
  const requestId = crypto.randomUUID();
  const body = JSON.stringify({
    err_code: status === 401 ? 'INVALID_AUTH' : 'UNAVAILABLE',
    err_msg: message,
    request_id: requestId,
  });
  socket.end(
    `HTTP/1.1 ${status} ${REASONS[status] ?? 'Error'}\r\n` +
      `content-type: application/json\r\ndg-error: ${message}\r\ndg-request-id: ${requestId}\r\n` +
      `content-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`,
  );
}
