// The fake's WebSocket /v1/text-to-speech/{voice_id}/multi-stream-input, as the 1.9.0 plugin
// drives it (providers.md §1.4): one socket per TTS instance, a context per utterance; each
// flush answers {audio, normalizedAlignment, alignment, contextId} then flush_done, and
// close_context answers {isFinal: true}. An unknown voice gets the real server's behaviour: an
// error without a context id, then close 1008. Wedged upstreams: a socket that takes text and
// never answers, one that stalls after its first audio, a connection reset, a dropped upgrade.
import type { IncomingMessage, Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { type WebSocket, WebSocketServer } from 'ws';
import { audioFor } from './elevenlabs_audio.ts';
import type { FailureKind } from './elevenlabs_faults.ts';

export interface WsConnectionRecord {
  voiceId: string;
  /** Query parameters of the upgrade (model_id, output_format, inactivity_timeout, ...). */
  query: Record<string, string>;
  authorized: boolean;
  /** Every JSON message the client sent, in order. */
  messages: Record<string, unknown>[];
  /** Context ids in the order they opened. */
  contextIds: string[];
  /** Text synthesized per context (what the agent said). */
  spoken: Record<string, string>;
  openedAt: number;
  closeCode: number | null;
}

interface WsOptions {
  apiKey: string;
  latencyMs: number;
  msPerChar: number;
  contextIdStyle: 'camel' | 'snake';
  wsIdleTimeoutMs?: number;
}

export interface MultiStreamHooks {
  options(): WsOptions;
  voiceExists(voiceId: string): boolean;
  takeFailure(voiceId: string, kinds: readonly FailureKind[]): FailureKind | null;
  record(connection: WsConnectionRecord): void;
}

const PATH = /^\/v1\/text-to-speech\/([^/]+)\/multi-stream-input$/;
const MAX_CONTEXTS = 5;

export function attachMultiStreamInput(server: Server, hooks: MultiStreamHooks): void {
  const wss = new WebSocketServer({ noServer: true });
  server.on('close', () => wss.close());
  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const match = PATH.exec(url.pathname);
    if (!match) return rejectUpgrade(socket, 404, { detail: 'Not Found' });
    const voiceId = match[1]!;
    const opts = hooks.options();
    const record: WsConnectionRecord = {
      voiceId,
      query: Object.fromEntries(url.searchParams),
      authorized: req.headers['xi-api-key'] === opts.apiKey,
      messages: [],
      contextIds: [],
      spoken: {},
      openedAt: Date.now(),
      closeCode: null,
    };
    hooks.record(record);
    if (hooks.takeFailure(voiceId, ['ws_refuse'])) {
      record.closeCode = -1;
      return void socket.destroy();
    }
    if (!record.authorized || hooks.takeFailure(voiceId, ['ws_reject', 'invalid_api_key'])) {
      record.closeCode = 401;
      return rejectUpgrade(socket, 401, { detail: { status: 'invalid_api_key', message: 'Invalid API key' } });
    }
    wss.handleUpgrade(req, socket, head, (ws) => serveConnection(ws, record, hooks));
  });
}

function rejectUpgrade(socket: Duplex, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  const reason = status === 401 ? 'Unauthorized' : 'Not Found';
  socket.end(
    `HTTP/1.1 ${status} ${reason}\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(text)}\r\nconnection: close\r\n\r\n${text}`,
  );
}

function serveConnection(ws: WebSocket, record: WsConnectionRecord, hooks: MultiStreamHooks): void {
  const opts = hooks.options();
  const format = record.query.output_format ?? 'mp3_44100_128';
  const contexts = new Map<string, { pending: string; sentAudio: boolean }>();
  let chain: Promise<void> = Promise.resolve();
  let idleTimer: ReturnType<typeof setTimeout> | undefined;
  const idleMs = opts.wsIdleTimeoutMs ?? Number(record.query.inactivity_timeout ?? 20) * 1000;
  const neverFinal = () => hooks.takeFailure(record.voiceId, ['ws_never_final']) !== null;
  let closeMidStream = hooks.takeFailure(record.voiceId, ['ws_close_mid_stream']) !== null;
  // Wedged: 'silent' sends nothing at all; the others send one audio message, then go quiet.
  const wedge = hooks.takeFailure(record.voiceId, ['ws_silent', 'ws_stall_after_first_audio', 'ws_reset']);
  let wedged = wedge === 'ws_silent';
  const maxContexts = hooks.takeFailure(record.voiceId, ['ws_max_contexts']) !== null ? 0 : MAX_CONTEXTS;
  let suppressFinal = false;

  ws.on('close', (code) => {
    record.closeCode ??= code;
    clearTimeout(idleTimer);
  });
  /** Records the code at once: the close handshake finishes later. */
  const closeWith = (code: number, reason: string) => {
    record.closeCode ??= code;
    ws.close(code, reason);
  };
  const send = (payload: Record<string, unknown>) => {
    if (ws.readyState === ws.OPEN) ws.send(JSON.stringify(payload));
  };
  const withContext = (contextId: string, payload: Record<string, unknown>) =>
    opts.contextIdStyle === 'snake' ? { ...payload, context_id: contextId } : { ...payload, contextId };
  const touch = () => {
    clearTimeout(idleTimer);
    idleTimer = setTimeout(() => closeWith(1008, 'input_timeout_exceeded'), idleMs);
    idleTimer.unref?.();
  };

  if (!hooks.voiceExists(record.voiceId) || hooks.takeFailure(record.voiceId, ['voice_not_found']) !== null) {
    send({
      message: `A voice with the voice_id ${record.voiceId} was not found.`,
      error: 'voice_not_found',
      code: 1008,
    });
    closeWith(1008, 'voice_not_found');
    return;
  }
  suppressFinal = neverFinal();
  touch();

  const synthesize = async (contextId: string, text: string) => {
    if (!text.trim() || wedged) return;
    if (opts.latencyMs > 0) await sleep(opts.latencyMs);
    const audio = audioFor(format, Math.max(100, text.length * opts.msPerChar));
    if (!audio) {
      send(withContext(contextId, { error: 'invalid_output_format', message: `Unsupported output_format ${format}` }));
      return;
    }
    record.spoken[contextId] = (record.spoken[contextId] ?? '') + text;
    const chars = [...text];
    const alignment = {
      chars,
      charStartTimesMs: chars.map((_, i) => i * opts.msPerChar),
      charDurationsMs: chars.map(() => opts.msPerChar),
    };
    // Two messages per flush, like the real server's chunked generation.
    const half = Math.floor(audio.bytes.length / 4) * 2;
    const parts = [audio.bytes.subarray(0, half), audio.bytes.subarray(half)];
    send(
      withContext(contextId, {
        audio: Buffer.from(parts[0]!).toString('base64'),
        normalizedAlignment: alignment,
        alignment,
      }),
    );
    if (wedge === 'ws_reset') {
      record.closeCode = -1;
      ws.terminate();
    }
    if (wedge) {
      wedged = true;
      return;
    }
    if (closeMidStream) {
      closeMidStream = false;
      closeWith(1011, 'internal_error');
      return;
    }
    send(
      withContext(contextId, {
        audio: Buffer.from(parts[1]!).toString('base64'),
        normalizedAlignment: null,
        alignment: null,
      }),
    );
  };

  ws.on('message', (raw) => {
    let message: Record<string, unknown>;
    try {
      message = JSON.parse(String(raw)) as Record<string, unknown>;
    } catch {
      send({ error: 'invalid_message', message: 'Messages must be JSON.' });
      return;
    }
    record.messages.push(message);
    touch();
    chain = chain.then(() => onMessage(message)).catch(() => {});
  });

  async function onMessage(message: Record<string, unknown>): Promise<void> {
    if (message.close_socket === true) {
      closeWith(1000, '');
      return;
    }
    const contextId = typeof message.context_id === 'string' ? message.context_id : 'default';
    let context = contexts.get(contextId);
    if (!context) {
      if (contexts.size >= maxContexts) {
        send({
          message: `Maximum simultaneous contexts per WebSocket connection exceeded (${MAX_CONTEXTS}).`,
          error: 'max_active_conversations',
          code: 1008,
        });
        closeWith(1008, 'max_active_conversations');
        return;
      }
      context = { pending: '', sentAudio: false };
      contexts.set(contextId, context);
      record.contextIds.push(contextId);
    }
    if (typeof message.text === 'string') context.pending += message.text;
    if (message.flush === true || message.close_context === true) {
      const text = context.pending;
      context.pending = '';
      await synthesize(contextId, text);
      if (message.flush === true && !wedged)
        send({ type: 'flush_done', context_id: contextId, status_code: 206, done: false, data: '', flush_done: true });
    }
    if (message.close_context === true) {
      contexts.delete(contextId);
      if (!suppressFinal && !wedged) send(withContext(contextId, { isFinal: true }));
    }
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
