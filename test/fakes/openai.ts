// A local OpenAI Chat Completions server for the real `@livekit/agents-plugin-openai` LLM:
// streaming SSE exactly as api.openai.com sends it (text deltas, fragmented tool calls, the
// final usage chunk, `[DONE]`) and the real error bodies. Replies are scripted per request,
// wedged upstreams included: a stream that opens and never answers, one that stalls or is reset
// after its first chunks, and (setRefusing) connections dropped as soon as they open.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

export interface FakeToolCall {
  name: string;
  args: Record<string, unknown>;
}

/** What the fake answers to one request. */
export type FakeOpenAIReply =
  | {
      text: string;
      /** Waits this long after the response headers before the first chunk, in ms (time to first token). */
      firstChunkDelayMs?: number;
      /** Sends this many chunks (the role chunk counts), then nothing until the client leaves. */
      stallAfterChunks?: number;
      /** Sends this many chunks, then destroys the socket. */
      resetAfterChunks?: number;
    }
  /** 200 and the event-stream headers, then nothing until the client leaves. */
  | { silent: true }
  | { toolCalls: FakeToolCall[] }
  | { status: number; error: { message: string; type: string; code: string | null } }
  | { streamError: { message: string; type: string; code: string | null } }
  | { stallMs: number }
  | { destroy: true };

export interface RecordedChatRequest {
  model: string;
  messages: Array<{ role: string; content?: unknown; tool_calls?: unknown }>;
  tools: Array<{ function: { name: string } }>;
  stream: boolean;
  headers: Record<string, string | string[] | undefined>;
  /** The last user message's text, or '' */
  lastUser: string;
  /** The last message's tool output when the last message is a tool result, else null. */
  lastToolOutput: string | null;
}

export type FakeOpenAIScript = (request: RecordedChatRequest) => FakeOpenAIReply;

export interface FakeOpenAI {
  /** `http://127.0.0.1:PORT/v1`, for `openai.LLM({ baseURL })`. */
  baseUrl: string;
  apiKey: string;
  requests: RecordedChatRequest[];
  setScript(script: FakeOpenAIScript): void;
  /** While on, every TCP connection is destroyed as it opens (and open ones at once). */
  setRefusing(on: boolean): void;
  close(): Promise<void>;
}

export const FAKE_OPENAI_KEY = 'sk-fake-openai-key';

const USAGE = {
  prompt_tokens: 42,
  completion_tokens: 7,
  total_tokens: 49,
  prompt_tokens_details: { cached_tokens: 0 },
};

export async function startFakeOpenAI(script: FakeOpenAIScript = () => ({ text: 'Okay.' })): Promise<FakeOpenAI> {
  let current = script;
  const requests: RecordedChatRequest[] = [];
  const server = createServer((req, res) => {
    void handle(req, res).catch(() => res.destroy());
  });
  const sockets = new Set<Socket>();
  let refusing = false;
  server.on('connection', (socket: Socket) => {
    if (refusing) return void socket.destroy();
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (req.headers.authorization !== `Bearer ${FAKE_OPENAI_KEY}`) {
      return sendError(res, 401, {
        message:
          'Incorrect API key provided: sk-bad. You can find your API key at https://platform.openai.com/account/api-keys.',
        type: 'invalid_request_error',
        code: 'invalid_api_key',
      });
    }
    if (req.method === 'GET' && req.url === '/v1/models') {
      return sendJson(res, 200, { object: 'list', data: [{ id: 'gpt-4o-mini', object: 'model' }] });
    }
    if (req.method !== 'POST' || req.url !== '/v1/chat/completions') {
      return sendJson(res, 404, {
        error: {
          message: `Unknown request URL: ${req.method} ${req.url}`,
          type: 'invalid_request_error',
          param: null,
          code: 'unknown_url',
        },
      });
    }
    const body = JSON.parse(await readBody(req)) as Record<string, unknown>;
    const messages = (body.messages ?? []) as RecordedChatRequest['messages'];
    const last = messages[messages.length - 1];
    const lastUserMessage = [...messages].reverse().find((m) => m.role === 'user');
    const recorded: RecordedChatRequest = {
      model: String(body.model),
      messages,
      tools: (body.tools ?? []) as RecordedChatRequest['tools'],
      stream: body.stream === true,
      headers: req.headers,
      lastUser: lastUserMessage ? contentText(lastUserMessage.content) : '',
      lastToolOutput: last?.role === 'tool' ? contentText(last.content) : null,
    };
    requests.push(recorded);
    const reply = current(recorded);

    if ('status' in reply) return sendError(res, reply.status, reply.error);
    if ('destroy' in reply) return void req.socket.destroy();
    if ('stallMs' in reply) {
      await new Promise((resolve) => setTimeout(resolve, reply.stallMs));
      return void res.destroy();
    }
    res.writeHead(200, { 'content-type': 'text/event-stream', 'x-request-id': `req_${requests.length}` });
    if ('silent' in reply) return untilClientLeaves(res);
    const wedgeAfter = 'text' in reply ? (reply.stallAfterChunks ?? reply.resetAfterChunks) : undefined;
    let sent = 0;
    const chunk = (choices: unknown[], usage: unknown = null) => {
      if (wedgeAfter !== undefined && sent >= wedgeAfter) return;
      res.write(
        `data: ${JSON.stringify({ id: `chatcmpl-${requests.length}`, object: 'chat.completion.chunk', created: Math.floor(Date.now() / 1000), model: recorded.model, choices, usage })}\n\n`,
      );
      sent += 1;
    };
    if ('streamError' in reply) {
      res.write(`data: ${JSON.stringify({ error: { ...reply.streamError, param: null } })}\n\n`);
      return void res.end();
    }
    if ('text' in reply) {
      if (reply.firstChunkDelayMs) {
        res.flushHeaders(); // the status arrives at once, as from the API; the tokens later
        await new Promise((resolve) => setTimeout(resolve, reply.firstChunkDelayMs));
      }
      chunk([{ index: 0, delta: { role: 'assistant', content: '' }, finish_reason: null }]);
      for (const piece of reply.text.match(/\S+\s*/g) ?? [])
        chunk([{ index: 0, delta: { content: piece }, finish_reason: null }]);
      chunk([{ index: 0, delta: {}, finish_reason: 'stop' }]);
      if (reply.resetAfterChunks !== undefined) return void res.destroy();
      if (reply.stallAfterChunks !== undefined) return untilClientLeaves(res);
    } else {
      reply.toolCalls.forEach((call, index) => {
        const id = `call_${requests.length}_${index}`;
        const args = JSON.stringify(call.args);
        const half = Math.ceil(args.length / 2);
        chunk([
          {
            index: 0,
            delta: {
              role: 'assistant',
              content: null,
              tool_calls: [{ index, id, type: 'function', function: { name: call.name, arguments: '' } }],
            },
            finish_reason: null,
          },
        ]);
        // Arguments arrive in fragments, as the real API streams them.
        chunk([
          {
            index: 0,
            delta: { tool_calls: [{ index, function: { arguments: args.slice(0, half) } }] },
            finish_reason: null,
          },
        ]);
        chunk([
          {
            index: 0,
            delta: { tool_calls: [{ index, function: { arguments: args.slice(half) } }] },
            finish_reason: null,
          },
        ]);
      });
      chunk([{ index: 0, delta: {}, finish_reason: 'tool_calls' }]);
    }
    chunk([], USAGE);
    res.end('data: [DONE]\n\n');
  }

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    baseUrl: `http://127.0.0.1:${port}/v1`,
    apiKey: FAKE_OPENAI_KEY,
    requests,
    setScript: (next) => {
      current = next;
    },
    setRefusing: (on) => {
      refusing = on;
      if (on) for (const socket of sockets) socket.destroy();
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** Keeps a response open, sending nothing, until the client goes away (or the fake closes). */
function untilClientLeaves(res: ServerResponse): Promise<void> {
  return new Promise((resolve) => res.once('close', () => resolve()));
}

function contentText(content: unknown): string {
  if (typeof content === 'string') return content;
  if (Array.isArray(content)) return content.map((part) => (part as { text?: string }).text ?? '').join('');
  return '';
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}

function sendError(
  res: ServerResponse,
  status: number,
  error: { message: string; type: string; code: string | null },
): void {
  sendJson(res, status, { error: { ...error, param: null } });
}
