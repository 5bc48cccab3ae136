// A LiveKit server's agent endpoint on 127.0.0.1, as the agents framework's worker speaks to it
// (@livekit/agents 1.9.0 `worker.ts`): a WebSocket on `/agent` carrying protobuf WorkerMessage /
// ServerMessage (@livekit/protocol). It checks the worker's bearer token (signed with the API
// secret, `agent` grant), answers `register` with a RegisterWorkerResponse, and dispatches a job
// on request: AvailabilityRequest, then, when the worker accepts, a JobAssignment carrying the
// room URL and token the job process will connect with. No room server: point `roomUrl` at
// something local.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  AvailabilityRequest,
  Job,
  JobAssignment,
  JobType,
  RegisterWorkerResponse,
  Room,
  ServerInfo,
  ServerInfo_Edition,
  ServerMessage,
  WorkerMessage,
} from '@livekit/protocol';
import { jwtVerify } from 'jose';
import { type WebSocket, WebSocketServer } from 'ws';

export interface FakeAgentServerOptions {
  apiKey?: string;
  apiSecret?: string;
}

export interface RegisteredWorker {
  workerId: string;
  agentName: string;
  version: string;
}

export interface DispatchOptions {
  roomName: string;
  /** The URL the job process connects to for the room. */
  roomUrl: string;
  /** Default the worker's registered agent name. */
  agentName?: string;
  /** How long to wait for the worker's availability answer, in ms. Default 5 000. */
  timeoutMs?: number;
}

export interface FakeAgentServer {
  /** LIVEKIT_URL for the worker, e.g. ws://127.0.0.1:12345 */
  url: string;
  readonly workers: RegisteredWorker[];
  /** Resolves once a worker has registered (bounded). */
  waitForWorker(timeoutMs?: number): Promise<RegisteredWorker>;
  /** Offers a job to the registered worker; resolves with the job id once it accepted and got its assignment. */
  dispatch(options: DispatchOptions): Promise<string>;
  close(): Promise<void>;
}

export async function startFakeAgentServer(options: FakeAgentServerOptions = {}): Promise<FakeAgentServer> {
  const apiKey = options.apiKey ?? 'devkey';
  const secret = new TextEncoder().encode(options.apiSecret ?? 'secret');
  const workers: RegisteredWorker[] = [];
  const availability = new Map<string, (available: boolean) => void>();
  let session: { ws: WebSocket; worker: RegisteredWorker } | undefined;
  let registered: (() => void) | undefined;
  let nextId = 1;

  const server: Server = createServer((_req, res) => res.writeHead(404).end());
  const wss = new WebSocketServer({ noServer: true });
  server.on('upgrade', (req, socket, head) => {
    const url = new URL(req.url ?? '/', 'http://fake');
    const token = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1];
    if (url.pathname !== '/agent' || !token) {
      socket.end('HTTP/1.1 401 Unauthorized\r\ncontent-length: 0\r\n\r\n');
      return;
    }
    jwtVerify(token, secret, { issuer: apiKey }).then(
      ({ payload }) => {
        if ((payload.video as { agent?: boolean } | undefined)?.agent !== true) {
          socket.end('HTTP/1.1 403 Forbidden\r\ncontent-length: 0\r\n\r\n');
          return;
        }
        wss.handleUpgrade(req, socket, head, accept);
      },
      () => socket.end('HTTP/1.1 401 Unauthorized\r\ncontent-length: 0\r\n\r\n'),
    );
  });

  function send(ws: WebSocket, message: ServerMessage['message']): void {
    ws.send(new ServerMessage({ message }).toBinary());
  }

  function accept(ws: WebSocket): void {
    ws.on('message', (data: Buffer) => {
      const message = WorkerMessage.fromBinary(new Uint8Array(data)).message;
      switch (message.case) {
        case 'register': {
          const worker = {
            workerId: `AW_fake${nextId++}`,
            agentName: message.value.agentName,
            version: message.value.version,
          };
          workers.push(worker);
          session = { ws, worker };
          send(ws, {
            case: 'register',
            value: new RegisterWorkerResponse({
              workerId: worker.workerId,
              serverInfo: new ServerInfo({ edition: ServerInfo_Edition.Standard, version: '1.9.0-fake' }),
            }),
          });
          registered?.();
          return;
        }
        case 'availability':
          availability.get(message.value.jobId)?.(message.value.available);
          return;
        default:
          return; // updateWorker, updateJob, ping…: nothing to answer here
      }
    });
    ws.on('close', () => {
      if (session?.ws === ws) session = undefined;
    });
    ws.on('error', () => ws.terminate());
  }

  const port = await new Promise<number>((resolve) =>
    server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port)),
  );

  return {
    url: `ws://127.0.0.1:${port}`,
    workers,
    async waitForWorker(timeoutMs = 20_000) {
      if (!session) {
        let timer: NodeJS.Timeout | undefined;
        await new Promise<void>((resolve, reject) => {
          registered = resolve;
          timer = setTimeout(
            () => reject(new Error(`no worker registered at the fake agent server within ${timeoutMs} ms`)),
            timeoutMs,
          );
        }).finally(() => clearTimeout(timer));
      }
      return session!.worker;
    },
    async dispatch(dispatch) {
      const current = session;
      if (!current) throw new Error('no worker is registered at the fake agent server');
      const id = `AJ_fake${nextId++}`;
      const job = new Job({
        id,
        dispatchId: `AD_fake${nextId++}`,
        type: JobType.JT_ROOM,
        room: new Room({ sid: `RM_fake${nextId++}`, name: dispatch.roomName }),
        agentName: dispatch.agentName ?? current.worker.agentName,
      });
      const timeoutMs = dispatch.timeoutMs ?? 5_000;
      let timer: NodeJS.Timeout | undefined;
      const available = await new Promise<boolean>((resolve, reject) => {
        availability.set(id, resolve);
        timer = setTimeout(
          () => reject(new Error(`the worker did not answer the availability request within ${timeoutMs} ms`)),
          timeoutMs,
        );
        send(current.ws, { case: 'availability', value: new AvailabilityRequest({ job }) });
      }).finally(() => {
        clearTimeout(timer);
        availability.delete(id);
      });
      if (!available) throw new Error(`the worker declined job ${id}`);
      send(current.ws, {
        case: 'assignment',
        value: new JobAssignment({ job, url: dispatch.roomUrl, token: 'fake-room-token' }),
      });
      return id;
    },
    async close() {
      for (const client of wss.clients) client.terminate();
      await new Promise<void>((resolve) => wss.close(() => resolve()));
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
