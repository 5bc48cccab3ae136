// ElevenLabs on 127.0.0.1, speaking the real wire protocol (providers.md §1, §5): the voices
// endpoints with paging, TTS over HTTP (whole file and /stream) with real audio in the requested
// format, the WebSocket multi-stream-input the @livekit/agents-plugin-elevenlabs 1.9.0 plugin
// uses, `xi-api-key` checks, the real error bodies, injectable latency and failures, and a log
// tests can read. One fake for the agent tests (import it) and the Deno function tests (they
// drive the same knobs over HTTP, no key needed):
//   POST /__fake/configure  Partial<ElevenLabsFakeOptions> (failures replace the list)
//   POST /__fake/voices     { voices: FakeVoice[] }
//   POST /__fake/release    lets held /stream responses finish
//   POST /__fake/reset      back to the start options, logs cleared
//   GET  /__fake/state      { requests, wsConnections, options }
//
//   const fake = await startElevenLabsFake();
//   new elevenlabs.TTS({ apiKey: fake.apiKey, baseURL: fake.apiBaseUrl, encoding: 'pcm_16000' });
//   fake.wsConnections[0].voiceId  // which voice the worker asked for
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { audioFor } from './elevenlabs_audio.ts';
import {
  type BodyFault,
  type BodyFaultOptions,
  type FailureKind,
  HeldResponses,
  sendFaultyBody,
} from './elevenlabs_faults.ts';
import { DEFAULT_FAKE_VOICES, FAKE_ELEVEN_API_KEY, type FakeVoice } from './elevenlabs_voices.ts';
import { attachMultiStreamInput, type WsConnectionRecord } from './elevenlabs_ws.ts';

export { DEFAULT_FAKE_VOICES, FAKE_ELEVEN_API_KEY, type FakeVoice } from './elevenlabs_voices.ts';
export type { WsConnectionRecord } from './elevenlabs_ws.ts';
export type { FailureKind } from './elevenlabs_faults.ts';

export interface FailureRule {
  kind: FailureKind;
  /** Which requests: HTTP TTS, the voices endpoints, the WebSocket, or any. Default: any that fits the kind. */
  on?: 'tts' | 'voices' | 'ws' | 'any';
  /** Only for this voice. */
  voiceId?: string;
  /** How many matching requests fail; then the rule is spent. Default: all. */
  times?: number;
}

export interface ElevenLabsFakeOptions {
  /** Accepted `xi-api-key`. Default FAKE_ELEVEN_API_KEY. */
  apiKey?: string;
  voices?: readonly FakeVoice[];
  /** Delay before answering (HTTP) or before the first audio of a flush (WebSocket). Default 0. */
  latencyMs?: number;
  /** Delay between streamed chunks of /stream. Default 0. */
  chunkDelayMs?: number;
  /** Bytes per streamed chunk. Default 4096. */
  chunkBytes?: number;
  /** Audio length per character of text. Default 60 ms. */
  msPerChar?: number;
  /** HTTP status of voice_not_found (400 in 2024 reports, 404 in 2025 docs). Default 404. */
  voiceNotFoundStatus?: 400 | 404;
  /** /stream sends its first chunk, then waits for release(). Default false. */
  holdStreams?: boolean;
  /** Key used for the context id in WebSocket replies. Default 'camel' (contextId). */
  contextIdStyle?: 'camel' | 'snake';
  /** Bytes per step of a `trickle` failure. Default 1. */
  trickleBytes?: number;
  /** Pause between steps of a `trickle` failure. Default 500 ms. */
  trickleIntervalMs?: number;
  /** Close a WebSocket idle this long with 1008 input_timeout_exceeded. Default: its inactivity_timeout. */
  wsIdleTimeoutMs?: number;
  failures?: FailureRule[];
  /** Port to listen on. Default 0 (any free port). */
  port?: number;
}

export interface RecordedRequest {
  method: string;
  path: string;
  query: Record<string, string>;
  voiceId: string | null;
  authorized: boolean;
  /** Parsed JSON body of POSTs. */
  body: unknown;
  status: number;
  at: number;
}

export interface ElevenLabsFake {
  /** http://127.0.0.1:PORT */
  baseUrl: string;
  /** http://127.0.0.1:PORT/v1: the plugin's `baseURL`. */
  apiBaseUrl: string;
  apiKey: string;
  requests: RecordedRequest[];
  wsConnections: WsConnectionRecord[];
  /** Requests to TTS endpoints that reached synthesis (failures included), per voice. */
  ttsCount(voiceId?: string): number;
  configure(options: Partial<ElevenLabsFakeOptions>): void;
  setVoices(voices: readonly FakeVoice[]): void;
  /** Lets held /stream responses finish. */
  release(): void;
  /** Back to the start options, with empty logs. */
  reset(): void;
  close(): Promise<void>;
}

const HTTP_FAILURES: readonly FailureKind[] = [
  'invalid_api_key',
  'quota_exceeded',
  'too_many_concurrent_requests',
  'system_busy',
  'voice_not_found',
  'server_error',
  'non_audio',
  'hang',
  'reset',
  'stall_body',
  'stall_error_body',
  'trickle',
];

export const DEFAULT_FAKE_OPTIONS = {
  latencyMs: 0,
  chunkDelayMs: 0,
  chunkBytes: 4096,
  msPerChar: 60,
  voiceNotFoundStatus: 404,
  holdStreams: false,
  contextIdStyle: 'camel',
  trickleBytes: 1,
  trickleIntervalMs: 500,
} as const;

export const ERROR_BODIES = {
  invalid_api_key: { status: 401, body: { detail: { status: 'invalid_api_key', message: 'Invalid API key' } } },
  quota_exceeded: {
    status: 401,
    body: { detail: { status: 'quota_exceeded', message: 'You have insufficient quota to complete this request' } },
  },
  too_many_concurrent_requests: {
    status: 429,
    body: {
      detail: {
        status: 'too_many_concurrent_requests',
        code: 'concurrent_limit_exceeded',
        message: 'Too many concurrent requests. Your current subscription allows 2 concurrent requests.',
      },
    },
  },
  system_busy: {
    status: 429,
    body: {
      detail: {
        status: 'system_busy',
        code: 'rate_limit_exceeded',
        message: 'The system is experiencing heavy traffic, please try again.',
      },
    },
  },
  server_error: { status: 500, body: { detail: { status: 'internal_error', message: 'An internal error occurred.' } } },
} as const;

export function voiceNotFoundBody(voiceId: string) {
  return { detail: { status: 'voice_not_found', message: `A voice with the voice_id ${voiceId} was not found.` } };
}

export async function startElevenLabsFake(options: ElevenLabsFakeOptions = {}): Promise<ElevenLabsFake> {
  const initial = {
    ...DEFAULT_FAKE_OPTIONS,
    apiKey: FAKE_ELEVEN_API_KEY,
    voices: DEFAULT_FAKE_VOICES,
    failures: [] as FailureRule[],
    ...options,
  };
  let opts = { ...initial, failures: [...initial.failures] };
  let releases: (() => void)[] = [];
  const held = new HeldResponses();
  const requests: RecordedRequest[] = [];
  const wsConnections: WsConnectionRecord[] = [];
  const sockets = new Set<import('node:net').Socket>();

  const server: Server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      if (!res.headersSent) send(res, 500, { detail: { status: 'fake_error', message: String(error) } });
      else res.destroy();
    });
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(options.port ?? 0, '127.0.0.1', resolve));
  const baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  /** The first unspent rule that matches, spending one use. */
  function takeFailure(
    on: 'tts' | 'voices' | 'ws',
    voiceId: string | null,
    kinds?: readonly FailureKind[],
  ): FailureKind | null {
    const rule = opts.failures.find(
      (r) =>
        (r.on === undefined || r.on === 'any' || r.on === on) &&
        (!r.voiceId || r.voiceId === voiceId) &&
        (r.times ?? 1) > 0 &&
        (!kinds || kinds.includes(r.kind)),
    );
    if (!rule) return null;
    if (rule.times !== undefined) rule.times -= 1;
    return rule.kind;
  }

  const voiceById = (id: string) => opts.voices.find((v) => v.voice_id === id) ?? null;
  const voiceJson = (v: FakeVoice) => ({
    voice_id: v.voice_id,
    name: v.name,
    category: v.category,
    labels: v.labels,
    description: v.description ?? null,
    preview_url: v.preview_url === undefined ? `${baseUrl}/previews/${v.voice_id}.mp3` : v.preview_url,
    samples: null,
    settings: null,
    is_owner: v.category !== 'premade',
    is_legacy: false,
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', baseUrl);
    const path = url.pathname;
    if (path.startsWith('/__fake/')) return control(path, req, res);
    const query = Object.fromEntries(url.searchParams);
    const authorized = req.headers['xi-api-key'] === opts.apiKey;
    const tts = /^\/v1\/text-to-speech\/([^/]+)(\/stream)?$/.exec(path);
    const oneVoice = /^\/v1\/voices\/([^/]+)$/.exec(path);
    const preview = /^\/previews\/([^/]+)\.mp3$/.exec(path);
    const voiceId = tts?.[1] ?? oneVoice?.[1] ?? preview?.[1] ?? null;
    const body = req.method === 'POST' ? await readJson(req) : undefined;
    const record: RecordedRequest = {
      method: req.method ?? 'GET',
      path,
      query,
      voiceId,
      authorized,
      body,
      status: 0,
      at: Date.now(),
    };
    requests.push(record);
    let bodyFault: BodyFault | null = null;
    const reply = (status: number, payload: unknown) => {
      record.status = status;
      if (!bodyFault) return send(res, status, payload);
      const bytes = Buffer.from(JSON.stringify(payload));
      return sendFaultyBody(res, status, { 'content-type': 'application/json' }, bytes, faultOptions(bodyFault));
    };

    if (preview && req.method === 'GET') {
      // Hosted samples sit on a CDN: no key needed.
      const audio = audioFor('mp3_44100_128', 1500)!;
      record.status = 200;
      res.writeHead(200, { 'content-type': audio.contentType, 'content-length': audio.bytes.length });
      res.end(audio.bytes);
      return;
    }
    const isVoices = path === '/v2/voices' || path === '/v1/voices' || Boolean(oneVoice);
    if (!tts && !isVoices) return reply(404, { detail: 'Not Found' });
    if ((tts && req.method !== 'POST') || (isVoices && req.method !== 'GET'))
      return reply(405, { detail: 'Method Not Allowed' });
    if (opts.latencyMs > 0) await sleep(opts.latencyMs);
    if (!authorized) return reply(401, ERROR_BODIES.invalid_api_key.body);

    const failure = takeFailure(tts ? 'tts' : 'voices', voiceId, HTTP_FAILURES);
    if (failure === 'hang') return; // never answers; the socket closes with the server
    if (failure === 'stall_body' || failure === 'trickle') bodyFault = failure;
    if (failure === 'stall_error_body') {
      bodyFault = 'stall_body';
      return reply(ERROR_BODIES.server_error.status, ERROR_BODIES.server_error.body);
    }
    if (failure === 'non_audio') return reply(200, { status: 'ok', message: 'not audio' });
    if (failure === 'voice_not_found') return reply(opts.voiceNotFoundStatus, voiceNotFoundBody(voiceId ?? ''));
    if (failure && failure in ERROR_BODIES) {
      const canned = ERROR_BODIES[failure as keyof typeof ERROR_BODIES];
      return reply(canned.status, canned.body);
    }

    if (path === '/v2/voices') return reply(200, voicesPage(url.searchParams));
    if (path === '/v1/voices') return reply(200, { voices: opts.voices.map(voiceJson) });
    if (oneVoice) {
      const voice = voiceById(oneVoice[1]!);
      return voice ? reply(200, voiceJson(voice)) : reply(opts.voiceNotFoundStatus, voiceNotFoundBody(oneVoice[1]!));
    }

    // Text to speech.
    if (!voiceById(voiceId!)) return reply(opts.voiceNotFoundStatus, voiceNotFoundBody(voiceId!));
    const text = (body as { text?: unknown } | undefined)?.text;
    if (typeof text !== 'string')
      return reply(422, { detail: [{ loc: ['body', 'text'], msg: 'Field required', type: 'missing' }] });
    const format = query.output_format ?? 'mp3_44100_128';
    const audio = audioFor(format, Math.max(200, text.length * opts.msPerChar));
    if (!audio) {
      return reply(400, {
        detail: {
          type: 'validation_error',
          code: 'invalid_parameters',
          status: 'invalid_parameters',
          message: `Unsupported output_format ${format}.`,
          param: 'output_format',
        },
      });
    }
    record.status = 200;
    const headers = {
      'content-type': audio.contentType,
      'character-cost': String(text.length),
      'request-id': crypto.randomUUID(),
    };
    if (!tts![2]) {
      res.writeHead(200, { ...headers, 'content-length': audio.bytes.length });
      res.end(audio.bytes);
      return;
    }
    if (bodyFault) return sendFaultyBody(res, 200, headers, audio.bytes, faultOptions(bodyFault));
    res.writeHead(200, { ...headers, 'transfer-encoding': 'chunked' });
    for (let offset = 0, index = 0; offset < audio.bytes.length; offset += opts.chunkBytes, index++) {
      if (index > 0 && opts.chunkDelayMs > 0) await sleep(opts.chunkDelayMs);
      res.write(audio.bytes.subarray(offset, offset + opts.chunkBytes));
      if (index === 0 && failure === 'reset') {
        await sleep(5);
        res.destroy();
        return;
      }
      if (index === 0 && opts.holdStreams) await new Promise<void>((resolve) => releases.push(resolve));
    }
    res.end();
  }

  const faultOptions = (fault: BodyFault): BodyFaultOptions => ({
    fault,
    trickleBytes: opts.trickleBytes,
    trickleIntervalMs: opts.trickleIntervalMs,
    held,
  });

  function voicesPage(params: URLSearchParams) {
    const pageSize = Math.min(100, Math.max(1, Number(params.get('page_size') ?? 10) || 10));
    const token = params.get('next_page_token');
    let offset = 0;
    if (token) {
      try {
        offset = Number(JSON.parse(Buffer.from(token, 'base64url').toString()).o) || 0;
      } catch {
        offset = 0;
      }
    }
    const category = params.get('category');
    const all = opts.voices.filter((v) => !category || v.category === category);
    const page = all.slice(offset, offset + pageSize);
    const hasMore = offset + pageSize < all.length;
    return {
      voices: page.map(voiceJson),
      has_more: hasMore,
      total_count: all.length,
      next_page_token: hasMore ? Buffer.from(JSON.stringify({ o: offset + pageSize })).toString('base64url') : null,
    };
  }

  async function control(path: string, req: IncomingMessage, res: ServerResponse): Promise<void> {
    const body = req.method === 'POST' ? ((await readJson(req)) as Record<string, unknown> | undefined) : undefined;
    if (path === '/__fake/state') return send(res, 200, { requests, wsConnections, options: { ...opts } });
    if (path === '/__fake/reset') fake.reset();
    else if (path === '/__fake/configure') fake.configure((body ?? {}) as Partial<ElevenLabsFakeOptions>);
    else if (path === '/__fake/voices') fake.setVoices(((body ?? {}) as { voices?: FakeVoice[] }).voices ?? []);
    else if (path === '/__fake/release') fake.release();
    else return send(res, 404, { error: 'unknown control path' });
    send(res, 200, { ok: true });
  }

  attachMultiStreamInput(server, {
    options: () => opts,
    voiceExists: (id) => Boolean(voiceById(id)),
    takeFailure: (voiceId, kinds) => takeFailure('ws', voiceId, kinds),
    record: (connection) => wsConnections.push(connection),
  });

  const fake: ElevenLabsFake = {
    baseUrl,
    apiBaseUrl: `${baseUrl}/v1`,
    apiKey: opts.apiKey,
    requests,
    wsConnections,
    ttsCount: (voiceId) =>
      requests.filter(
        (r) => r.path.startsWith('/v1/text-to-speech/') && r.authorized && (!voiceId || r.voiceId === voiceId),
      ).length,
    configure(next) {
      opts = { ...opts, ...next, failures: next.failures ? next.failures.map((f) => ({ ...f })) : opts.failures };
    },
    setVoices(voices) {
      opts = { ...opts, voices: [...voices] };
    },
    release() {
      const pending = releases;
      releases = [];
      for (const resolve of pending) resolve();
    },
    reset() {
      fake.release();
      held.releaseAll();
      opts = { ...initial, failures: initial.failures.map((f) => ({ ...f })) };
      requests.length = 0;
      wsConnections.length = 0;
    },
    async close() {
      fake.release();
      held.releaseAll();
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
  return fake;
}

function send(res: ServerResponse, status: number, payload: unknown): void {
  const text = JSON.stringify(payload);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

async function readJson(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const text = Buffer.concat(chunks).toString();
  if (!text) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
