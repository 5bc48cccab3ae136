// The agents framework's worker health server (livekit.md §6.2) on 127.0.0.1: `GET /` answers
// 200 OK when connected to LiveKit, else 503 with the reason; `GET /worker` the worker's JSON.
import { createServer, type Server } from 'node:http';
import { DEFAULT_AGENT_NAME } from '../../shared/agent_name.ts';

export interface FakeWorkerHealthOptions {
  agentName?: string;
  /** false: `/` answers 503 "not connected to livekit". */
  connected?: boolean;
}

export class FakeWorkerHealth {
  agentName: string;
  connected: boolean;
  private readonly server: Server;
  private port = 0;

  private constructor(options: FakeWorkerHealthOptions) {
    this.agentName = options.agentName ?? DEFAULT_AGENT_NAME;
    this.connected = options.connected ?? true;
    this.server = createServer((req, res) => {
      if (req.url === '/__fake/set' && req.method === 'POST') {
        // Test control for other processes: {agentName?, connected?}.
        let raw = '';
        req.on('data', (chunk: Uint8Array) => (raw += new TextDecoder().decode(chunk)));
        req.on('end', () => {
          const body = (raw ? JSON.parse(raw) : {}) as FakeWorkerHealthOptions;
          if (body.agentName !== undefined) this.agentName = body.agentName;
          if (body.connected !== undefined) this.connected = body.connected;
          res.writeHead(200, { 'content-type': 'application/json' });
          res.end('{}');
        });
        return;
      }
      if (req.url === '/') {
        res.writeHead(this.connected ? 200 : 503, { 'content-type': 'text/plain' });
        return void res.end(this.connected ? 'OK' : 'not connected to livekit');
      }
      if (req.url === '/worker') {
        res.writeHead(200, { 'content-type': 'application/json' });
        return void res.end(
          JSON.stringify({
            agent_name: this.agentName,
            agent_name_is_env: false,
            deployment: '',
            worker_type: 'JT_ROOM',
            active_jobs: 0,
            sdk_version: '1.9.0',
            project_type: 'nodejs',
            protocol_version: 1,
          }),
        );
      }
      res.writeHead(404);
      res.end();
    });
  }

  static async start(options: FakeWorkerHealthOptions = {}): Promise<FakeWorkerHealth> {
    const fake = new FakeWorkerHealth(options);
    await new Promise<void>((resolve) => fake.server.listen(0, '127.0.0.1', resolve));
    fake.port = (fake.server.address() as { port: number }).port;
    return fake;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  close(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}
