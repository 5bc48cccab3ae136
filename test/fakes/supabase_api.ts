// One local "Supabase project" for tests and benches: a single HTTP server on 127.0.0.1 (port 0)
// serving PostgREST RPC under /rest/v1 and Realtime under /realtime/v1/websocket, both reading
// the real database. Point supabase-js at `url` with `serviceRoleKey` (or any key in `keys`).
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createPostgrestFake, type PostgrestFake } from './postgrest.ts';
import { createFakeKeys, type FakeKeys } from './postgrest_auth.ts';
import { attachRealtime, createRealtimeFake, type RealtimeFake } from './supabase_realtime.ts';

export interface SupabaseFake {
  /** SUPABASE_URL, e.g. http://127.0.0.1:54321 */
  url: string;
  serviceRoleKey: string;
  anonKey: string;
  keys: FakeKeys;
  rest: PostgrestFake;
  realtime: RealtimeFake;
  /** Stops accepting and drops every connection (Supabase unreachable); restart() brings it back on the same port. */
  stop(): Promise<void>;
  restart(): Promise<void>;
  close(): Promise<void>;
}

export async function startSupabaseFake(options: { databaseUrl: string; port?: number }): Promise<SupabaseFake> {
  const keys = await createFakeKeys();
  const rest = createPostgrestFake({ databaseUrl: options.databaseUrl, keys });
  const realtime = createRealtimeFake({ databaseUrl: options.databaseUrl, keys });
  await realtime.start();

  let server: Server;
  const listen = (port: number) => {
    server = createServer((req, res) => {
      if (!rest.handle(req, res)) {
        res
          .writeHead(404, { 'content-type': 'application/json' })
          .end(JSON.stringify({ message: 'no route for this path in the Supabase fake' }));
      }
    });
    attachRealtime(server, realtime);
    return new Promise<number>((resolve) =>
      server.listen(port, '127.0.0.1', () => resolve((server.address() as AddressInfo).port)),
    );
  };
  const port = await listen(options.port ?? 0);
  const stop = async () => {
    realtime.dropSockets();
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  };

  return {
    url: `http://127.0.0.1:${port}`,
    serviceRoleKey: keys.serviceRoleKey,
    anonKey: keys.anonKey,
    keys,
    rest,
    realtime,
    stop,
    restart: async () => {
      await listen(port);
    },
    async close() {
      await stop().catch(() => {});
      await Promise.all([rest.close(), realtime.close()]);
    },
  };
}
