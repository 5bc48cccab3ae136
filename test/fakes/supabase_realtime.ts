// A Supabase Realtime fake speaking Phoenix v2 (docs/supabase.md §6.3) on 127.0.0.1, fed by the
// REAL test database: a row trigger it installs captures every committed change to a table in
// `public` (old and new row, standing in for the WAL), and each change to a table in the
// supabase_realtime publication becomes a postgres_changes message built as the real server's
// apply_rls builds it, read as the subscriber's role would see it (supabase_realtime_changes.ts).
//
// Protocol: join (with postgres_changes_options.wait holding the reply until ready), reply with
// binding ids, the system ready message, postgres_changes, heartbeat, access_token, phx_leave,
// server-initiated phx_close / phx_error / socket drop. Knobs: delay the ready message, ignore
// `wait` (older, self-hosted and CLI servers: a table missing from the publication then gets an ok
// join and a postgres_changes `system` error, never retried), lose events, an events-per-second
// limit (changes over it are dropped silently), the record size limit (413), a project that
// allows only private channels, refuse connections, reject joins, stop heartbeat replies.
import type { IncomingMessage, Server } from 'node:http';
import type { Duplex } from 'node:stream';
import postgres from 'postgres';
import { type WebSocket, WebSocketServer } from 'ws';
import { authenticateToken, type Caller, type FakeKeys } from './postgrest_auth.ts';
import {
  buildChangeMessages,
  CAPTURE_CHANNEL,
  type ChangeRow,
  DEFAULT_MAX_RECORD_BYTES,
  installCapture,
  takeCapturedChange,
} from './supabase_realtime_changes.ts';

export interface RealtimeFakeOptions {
  databaseUrl: string;
  keys: FakeKeys;
}

export interface RealtimeKnobs {
  /** Delay between join and the Postgres side being "live" (ready message), in ms. */
  readyDelayMs: number;
  /**
   * Honour postgres_changes_options.wait: hold the join reply until ready, and reject the join
   * when a table is not published. When false (servers that ignore `wait`), the join is answered
   * at once and a table that is not published gets a postgres_changes `system` error after the
   * ok reply; the subscription is never retried.
   */
  honorWait: boolean;
  /** Swallow changes instead of sending them (Realtime does not guarantee delivery). */
  loseEvents: boolean;
  /**
   * The project's events-per-second limit: postgres_changes messages over it within any 1 s are
   * dropped without a word, as the real server does. null: no limit.
   */
  maxEventsPerSecond: number | null;
  /** Realtime's max_record_bytes: a bigger change carries only values of at most 64 bytes and `Error 413`. */
  maxRecordBytes: number;
  /** The project allows only private channels: a join without `private: true` is refused (PrivateOnly). */
  privateOnly: boolean;
  /** Refuse WebSocket upgrades (503) as an unreachable Realtime would. */
  acceptConnections: boolean;
  /** Reject every join with this reason, e.g. 'PostgresChangesSubscribeTimeout: ...'. */
  rejectJoinsWith: string | null;
  /** Answer heartbeats; when false the client times out and reconnects. */
  replyHeartbeats: boolean;
}

export interface RealtimeStats {
  /** WebSocket connections accepted so far (each reconnect counts). */
  connections: number;
  /** WebSocket connections open now. */
  openSockets: number;
  /** The most WebSocket connections open at the same time so far. */
  peakOpenSockets: number;
  joins: number;
  changesReceived: number;
  messagesSent: number;
  changesLost: number;
  /** Changes dropped by the events-per-second limit (also counted in changesLost). */
  changesOverLimit: number;
}

export interface SentChange {
  table: string;
  type: string;
  /** performance.now() when the frame was handed to the socket. */
  sentAt: number;
}

export interface RealtimeFake {
  knobs: RealtimeKnobs;
  readonly stats: RealtimeStats;
  onChangeSent: ((change: SentChange) => void) | undefined;
  /** Handles the upgrade for /realtime/v1/websocket; returns false for other paths. */
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): boolean;
  /** Terminates every socket without a close frame (the client sees 1006 and reconnects). */
  dropSockets(): void;
  /** Sends phx_close to every joined channel (the client reports CLOSED and never rejoins). */
  closeChannels(): void;
  /** Sends phx_error to every joined channel (the client rejoins). */
  errorChannels(): void;
  /** Joined channels that have reached ready. */
  readyChannels(): number;
  start(): Promise<void>;
  close(): Promise<void>;
}

export const DEFAULT_REALTIME_KNOBS: RealtimeKnobs = {
  readyDelayMs: 0,
  honorWait: true,
  loseEvents: false,
  maxEventsPerSecond: null,
  maxRecordBytes: DEFAULT_MAX_RECORD_BYTES,
  privateOnly: false,
  acceptConnections: true,
  rejectJoinsWith: null,
  replyHeartbeats: true,
};

export const PRIVATE_ONLY_REASON = 'PrivateOnly: This project only allows private channels';

interface Binding {
  id: number;
  event: string;
  schema: string;
  table: string;
  filter?: string;
}

interface Channel {
  topic: string;
  joinRef: string;
  bindings: Binding[];
  caller: Caller;
  ready: boolean;
  timer?: NodeJS.Timeout;
}

interface Connection {
  ws: WebSocket;
  token: string;
  channels: Map<string, Channel>;
  /** Frames are handled one at a time, in order, as a Phoenix socket process does. */
  inbox: Promise<void>;
}

type Frame = [string | null, string | null, string, string, Record<string, unknown>];

export function createRealtimeFake(options: RealtimeFakeOptions): RealtimeFake {
  const sql = postgres(options.databaseUrl, { max: 4, onnotice: () => {}, connect_timeout: 2 });
  const wss = new WebSocketServer({ noServer: true });
  const connections = new Set<Connection>();
  const stats: RealtimeStats = {
    connections: 0,
    openSockets: 0,
    peakOpenSockets: 0,
    joins: 0,
    changesReceived: 0,
    messagesSent: 0,
    changesLost: 0,
    changesOverLimit: 0,
  };
  /** performance.now() of each postgres_changes message sent in the last second (the rate limit). */
  let recentEvents: number[] = [];
  let queue: Promise<void> = Promise.resolve();
  let unlisten: (() => Promise<void>) | undefined;

  const fake: RealtimeFake = {
    knobs: { ...DEFAULT_REALTIME_KNOBS },
    stats,
    onChangeSent: undefined,
    handleUpgrade(req, socket, head) {
      const url = new URL(req.url ?? '/', 'http://fake');
      if (url.pathname !== '/realtime/v1/websocket') return false;
      if (!fake.knobs.acceptConnections) {
        socket.end('HTTP/1.1 503 Service Unavailable\r\ncontent-length: 0\r\n\r\n');
        return true;
      }
      const token = url.searchParams.get('apikey');
      if (!token || url.searchParams.get('vsn') !== '2.0.0') {
        socket.end('HTTP/1.1 403 Forbidden\r\ncontent-length: 0\r\n\r\n');
        return true;
      }
      wss.handleUpgrade(req, socket, head, (ws) => accept(ws, token));
      return true;
    },
    dropSockets() {
      for (const connection of connections) connection.ws.terminate();
    },
    closeChannels() {
      forEachChannel((connection, channel) => {
        send(connection, [channel.joinRef, channel.joinRef, channel.topic, 'phx_close', {}]);
        dropChannel(connection, channel);
      });
    },
    errorChannels() {
      forEachChannel((connection, channel) => {
        send(connection, [channel.joinRef, channel.joinRef, channel.topic, 'phx_error', {}]);
        dropChannel(connection, channel);
      });
    },
    readyChannels() {
      let n = 0;
      forEachChannel((_c, channel) => (n += channel.ready ? 1 : 0));
      return n;
    },
    async start() {
      await installCapture(sql);
      const listening = await sql.listen(CAPTURE_CHANNEL, (id) => {
        // Subscribers live at commit time get it, nobody else (Realtime replays nothing).
        const targets: Array<[Connection, Channel]> = [];
        forEachChannel((connection, channel) => channel.ready && targets.push([connection, channel]));
        // Keep commit order: each change is read and sent before the next.
        queue = queue.then(() => deliver(id, targets)).catch(() => {});
      });
      unlisten = listening.unlisten;
    },
    async close() {
      for (const connection of connections) connection.ws.terminate();
      await new Promise<void>((resolve) => wss.close(() => resolve()));
      await unlisten?.().catch(() => {});
      await sql.end({ timeout: 1 });
    },
  };

  function accept(ws: WebSocket, token: string): void {
    const connection: Connection = { ws, token, channels: new Map(), inbox: Promise.resolve() };
    connections.add(connection);
    stats.connections += 1;
    stats.openSockets += 1;
    stats.peakOpenSockets = Math.max(stats.peakOpenSockets, stats.openSockets);
    ws.on('message', (data) => {
      const text = data.toString();
      connection.inbox = connection.inbox.then(() => onFrame(connection, text)).catch(() => {});
    });
    ws.on('close', () => {
      for (const channel of connection.channels.values()) clearTimeout(channel.timer);
      if (connections.delete(connection)) stats.openSockets -= 1;
    });
    ws.on('error', () => ws.terminate());
  }

  async function onFrame(connection: Connection, text: string): Promise<void> {
    let frame: Frame;
    try {
      frame = JSON.parse(text) as Frame;
      if (!Array.isArray(frame) || frame.length !== 5) return;
    } catch {
      return;
    }
    const [joinRef, ref, topic, event, payload] = frame;
    if (topic === 'phoenix' && event === 'heartbeat') {
      if (fake.knobs.replyHeartbeats)
        send(connection, [null, ref, 'phoenix', 'phx_reply', { status: 'ok', response: {} }]);
      return;
    }
    if (event === 'phx_join') return join(connection, joinRef ?? ref ?? '0', ref, topic, payload);
    const channel = connection.channels.get(topic);
    if (!channel) {
      send(connection, [
        joinRef,
        ref,
        topic,
        'phx_reply',
        { status: 'error', response: { reason: 'unmatched topic' } },
      ]);
      return;
    }
    if (event === 'phx_leave') {
      send(connection, [joinRef, ref, topic, 'phx_reply', { status: 'ok', response: {} }]);
      dropChannel(connection, channel);
    } else if (event === 'access_token' && typeof payload.access_token === 'string') {
      const auth = await authenticateToken(options.keys, payload.access_token);
      if (auth.ok) channel.caller = auth.caller;
    }
  }

  async function join(
    connection: Connection,
    joinRef: string,
    ref: string | null,
    topic: string,
    payload: Record<string, unknown>,
  ): Promise<void> {
    stats.joins += 1;
    const reply = (response: Record<string, unknown>) => send(connection, [joinRef, ref, topic, 'phx_reply', response]);
    const previous = connection.channels.get(topic);
    if (previous) dropChannel(connection, previous);
    if (fake.knobs.rejectJoinsWith) return reply({ status: 'error', response: { reason: fake.knobs.rejectJoinsWith } });
    const config = (payload.config ?? {}) as {
      postgres_changes?: Array<Omit<Binding, 'id'>>;
      postgres_changes_options?: { wait?: boolean };
      private?: boolean;
    };
    if (fake.knobs.privateOnly && config.private !== true)
      return reply({ status: 'error', response: { reason: PRIVATE_ONLY_REASON } });

    const token = typeof payload.access_token === 'string' ? payload.access_token : connection.token;
    const auth = await authenticateToken(options.keys, token);
    if (
      !auth.ok ||
      (!token.startsWith('sb_') && (auth.caller.claims.exp === undefined || auth.caller.claims.role === undefined))
    ) {
      return reply({
        status: 'error',
        response: { reason: 'InvalidJWTToken: Fields `role` and `exp` are required in JWT' },
      });
    }
    const requested = config.postgres_changes ?? [];
    const bindings = requested.map((b) => ({ ...b, id: bindingId(b) }));
    const wait = Boolean(config.postgres_changes_options?.wait) && fake.knobs.honorWait && bindings.length > 0;
    const missing = await bindingsNotPublished(bindings);
    if (missing.length > 0 && wait) {
      return reply({
        status: 'error',
        response: { reason: `RealtimeDisabledForConfiguration: ${subscribeError(missing[0]!)}` },
      });
    }
    const channel: Channel = { topic, joinRef, bindings, caller: auth.caller, ready: bindings.length === 0 };
    connection.channels.set(topic, channel);
    const okReply = () =>
      reply({ status: 'ok', response: { postgres_changes: requested.map((b, i) => ({ ...b, id: bindings[i]!.id })) } });
    if (!wait) okReply();
    if (bindings.length === 0) return;
    const system = (status: 'ok' | 'error', message: string) =>
      send(connection, [
        joinRef,
        null,
        topic,
        'system',
        {
          extension: 'postgres_changes',
          status,
          message,
          channel: topic.replace(/^realtime:/, ''),
        },
      ]);
    channel.timer = setTimeout(() => {
      if (connection.channels.get(topic) !== channel) return;
      // The subscription failed and is not retried: the channel stays joined, with no changes.
      if (missing.length > 0) return system('error', subscribeError(missing[0]!));
      channel.ready = true;
      if (wait) okReply();
      system('ok', 'Subscribed to PostgreSQL');
    }, fake.knobs.readyDelayMs);
  }

  async function bindingsNotPublished(bindings: Binding[]): Promise<Binding[]> {
    if (bindings.length === 0) return [];
    const published = await sql<{ schemaname: string; tablename: string }[]>`
      select schemaname, tablename from pg_publication_tables where pubname = 'supabase_realtime'`;
    return bindings.filter(
      (b) => !published.some((p) => p.schemaname === b.schema && (b.table === '*' || p.tablename === b.table)),
    );
  }

  async function deliver(id: string, targets: Array<[Connection, Channel]>): Promise<void> {
    const row = await takeCapturedChange(sql, id);
    if (!row) return;
    stats.changesReceived += 1;
    if (fake.knobs.loseEvents) {
      stats.changesLost += 1;
      return;
    }
    for (const [connection, channel] of targets) await sendChange(connection, channel, row);
  }

  async function sendChange(connection: Connection, channel: Channel, row: ChangeRow): Promise<void> {
    const messages = await buildChangeMessages(sql, channel.caller, channel.bindings, row, fake.knobs.maxRecordBytes);
    for (const message of messages) {
      if (connection.channels.get(channel.topic) !== channel) return;
      if (overEventLimit()) {
        stats.changesLost += 1;
        stats.changesOverLimit += 1;
        continue;
      }
      // A null join_ref, like the real server's fastlane, so a rejoined client never drops it.
      send(connection, [null, null, channel.topic, 'postgres_changes', message]);
      fake.onChangeSent?.({ table: row.table, type: row.type, sentAt: performance.now() });
    }
  }

  /** True when one more event would pass the events-per-second limit (a sliding second). */
  function overEventLimit(): boolean {
    const limit = fake.knobs.maxEventsPerSecond;
    if (limit === null) return false;
    const now = performance.now();
    recentEvents = recentEvents.filter((t) => now - t < 1_000);
    if (recentEvents.length >= limit) return true;
    recentEvents.push(now);
    return false;
  }

  function dropChannel(connection: Connection, channel: Channel): void {
    clearTimeout(channel.timer);
    if (connection.channels.get(channel.topic) === channel) connection.channels.delete(channel.topic);
  }

  function forEachChannel(fn: (connection: Connection, channel: Channel) => void): void {
    for (const connection of connections)
      for (const channel of [...connection.channels.values()]) fn(connection, channel);
  }

  function send(connection: Connection, frame: Frame): void {
    if (connection.ws.readyState !== connection.ws.OPEN) return;
    stats.messagesSent += 1;
    connection.ws.send(JSON.stringify(frame));
  }

  return fake;
}

/** Attaches the fake to an HTTP server's upgrade event. */
export function attachRealtime(server: Server, fake: RealtimeFake): void {
  server.on('upgrade', (req, socket, head) => {
    if (!fake.handleUpgrade(req, socket, head)) socket.end('HTTP/1.1 404 Not Found\r\ncontent-length: 0\r\n\r\n');
  });
}

/** The server's message for a postgres_changes binding it cannot subscribe (e.g. table not published). */
function subscribeError(binding: Binding): string {
  return (
    'Unable to subscribe to changes with given parameters. Please check Realtime is enabled for the given connect ' +
    `parameters: [event: ${binding.event}, schema: ${binding.schema}, table: ${binding.table}, filters: [${binding.filter ?? ''}], select: nil]`
  );
}

/** A stable integer per binding, as the real server's :erlang.phash2(params). */
function bindingId(binding: Omit<Binding, 'id'>): number {
  const text = JSON.stringify([binding.event, binding.schema, binding.table, binding.filter ?? null]);
  let hash = 0;
  for (let i = 0; i < text.length; i += 1) hash = (Math.imul(hash, 31) + text.charCodeAt(i)) >>> 0;
  return hash % 134_217_728;
}
