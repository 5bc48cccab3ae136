// The hub, in the worker's main process: the one owner of database access on the host. It holds
// the config source (cache, preload, change delivery, reconcile) and the call store, and serves
// the job processes over a Unix domain socket (protocol.ts): resolve a number from the host cache,
// push every newer config of a watched number, and write call records.
//
// Writes of records (a call's row, transcript turns, messages, the analysis) go through the hub's
// own durable queue, one key per record, so while the database is away the host retries them in
// one line at the database's pace, coalescing a job's resends. A job hears `ok` only once its
// write is committed: until then the job keeps it in its own queue, so a main process that dies
// loses nothing (the job resends to the next hub, or writes directly). Heartbeats and voice
// reports are not queued: they are forwarded with the store's deadline.
//
// Main's event loop also carries the framework's pings to every job process: nothing here blocks
// (parsing is per line, every database call is asynchronous with a deadline).
import { createHash } from 'node:crypto';
import { unlink } from 'node:fs/promises';
import { createServer, type Server, type Socket } from 'node:net';
import { AppError } from '../../shared/errors.ts';
import { type ConfigLogger, defaultConfigLogger, errorFields } from '../config/config_log.ts';
import type { ConfigSource } from '../config/types.ts';
import type { CallStore } from '../store/call_store.ts';
import { DurableWrites } from '../store/durable_writes.ts';
import {
  type ClientMessage,
  encode,
  HUB_PROTOCOL_VERSION,
  HUB_STORE_OPS,
  type HubMessage,
  type HubStoreOp,
  lineReader,
  toWireError,
  type WireHubStats,
} from './protocol.ts';

export interface HubServerOptions {
  /** Where to listen; a stale socket file there is replaced. */
  socketPath: string;
  configSource: ConfigSource;
  callStore: CallStore;
  /** Most record writes the hub holds while the database is away; past it jobs keep theirs. Default 10 000. */
  maxPendingWrites?: number;
  logger?: ConfigLogger;
}

export const DEFAULT_HUB_MAX_PENDING_WRITES = 10_000;

/** Counters for tests and health output. */
export interface HubStats {
  clients: number;
  resolves: number;
  writes: number;
  changesPushed: number;
}

interface Connection {
  socket: Socket;
  welcomed: boolean;
  watches: Map<string, () => void>;
}

export class HubServer {
  readonly stats: HubStats = { clients: 0, resolves: 0, writes: 0, changesPushed: 0 };
  readonly #options: HubServerOptions & { maxPendingWrites: number };
  readonly #log: ConfigLogger;
  readonly #writes: DurableWrites;
  /** Per write key: the value its last committed write returned, while anyone waits on the key. */
  readonly #results = new Map<string, { value: unknown; waiting: number }>();
  readonly #connections = new Set<Connection>();
  #server: Server | undefined;

  constructor(options: HubServerOptions) {
    this.#options = { maxPendingWrites: DEFAULT_HUB_MAX_PENDING_WRITES, ...options };
    this.#log = options.logger ?? defaultConfigLogger('worker_hub');
    this.#writes = new DurableWrites({ maxPending: this.#options.maxPendingWrites, logger: this.#log });
  }

  get socketPath(): string {
    return this.#options.socketPath;
  }

  /** Record writes the hub holds (waiting for the database or being written). */
  get pendingWrites(): number {
    return this.#writes.pending;
  }

  async listen(): Promise<void> {
    await unlink(this.#options.socketPath).catch(() => {});
    const server = createServer((socket) => this.#accept(socket));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.#options.socketPath, () => {
        server.off('error', reject);
        resolve();
      });
    });
    server.on('error', (error) => this.#log.error({ ...errorFields(error) }, 'worker hub socket failed'));
    this.#server = server;
  }

  /** Stops listening and drops every job's connection (they resend to the next hub, or write directly). */
  async close(): Promise<void> {
    const server = this.#server;
    this.#server = undefined;
    for (const connection of this.#connections) connection.socket.destroy();
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  /** Waits until the hub's queued writes are in the database, at most timeoutMs; false if some are left. */
  drain(timeoutMs: number): Promise<boolean> {
    return this.#writes.drain(timeoutMs);
  }

  #accept(socket: Socket): void {
    const connection: Connection = { socket, welcomed: false, watches: new Map() };
    this.#connections.add(connection);
    this.stats.clients = this.#connections.size;
    socket.setNoDelay(true);
    const read = lineReader((message) => this.#onMessage(connection, message as ClientMessage));
    socket.on('data', (chunk) => {
      if (!read(chunk)) socket.destroy();
    });
    socket.on('error', () => {});
    socket.on('close', () => {
      for (const unwatch of connection.watches.values()) unwatch();
      connection.watches.clear();
      this.#connections.delete(connection);
      this.stats.clients = this.#connections.size;
    });
  }

  #send(connection: Connection, message: HubMessage): void {
    if (!connection.socket.destroyed) connection.socket.write(encode(message));
  }

  #onMessage(connection: Connection, message: ClientMessage): void {
    if (!connection.welcomed) {
      if (message.t === 'hello' && message.v === HUB_PROTOCOL_VERSION) {
        connection.welcomed = true;
        this.#send(connection, { t: 'welcome', v: HUB_PROTOCOL_VERSION, pid: process.pid });
        return;
      }
      const reason =
        message.t === 'hello'
          ? `protocol version ${String(message.v)} is not ${HUB_PROTOCOL_VERSION}`
          : 'expected hello';
      this.#log.warn({ reason }, 'worker hub refused a connection');
      this.#send(connection, { t: 'refused', v: HUB_PROTOCOL_VERSION, reason });
      connection.socket.end();
      return;
    }
    switch (message.t) {
      case 'resolve':
        if (typeof message.number !== 'string') {
          this.#fail(connection, message.id, 'resolve needs a number');
          return;
        }
        this.stats.resolves += 1;
        this.#answer(connection, message.id, this.#options.configSource.resolve(message.number));
        return;
      case 'watch':
        if (typeof message.number !== 'string' || connection.watches.has(message.number)) return;
        connection.watches.set(
          message.number,
          this.#options.configSource.watch(message.number, (resolved) => {
            this.stats.changesPushed += 1;
            this.#send(connection, { t: 'change', number: message.number, resolved });
          }),
        );
        return;
      case 'unwatch':
        connection.watches.get(message.number)?.();
        connection.watches.delete(message.number);
        return;
      case 'store':
        if (!HUB_STORE_OPS.includes(message.op) || !Array.isArray(message.args)) {
          this.#fail(connection, message.id, 'unknown store operation');
          return;
        }
        this.#answer(connection, message.id, this.#store(message.op, message.args));
        return;
      case 'stats':
        this.#send(connection, { t: 'reply', id: message.id, ok: true, value: this.#wireStats(connection) });
        return;
      default:
        return;
    }
  }

  #wireStats(asking: Connection): WireHubStats {
    let clients = 0;
    for (const connection of this.#connections) if (connection.welcomed && connection !== asking) clients += 1;
    return {
      pid: process.pid,
      clients,
      resolves: this.stats.resolves,
      writes: this.stats.writes,
      changes_pushed: this.stats.changesPushed,
      pending_writes: this.#writes.pending,
    };
  }

  #answer(connection: Connection, id: number, work: Promise<unknown>): void {
    work.then(
      (value) => this.#send(connection, { t: 'reply', id, ok: true, value: value ?? null }),
      (error: unknown) => this.#send(connection, { t: 'reply', id, ok: false, error: toWireError(error) }),
    );
  }

  #fail(connection: Connection, id: number, message: string): void {
    this.#send(connection, { t: 'reply', id, ok: false, error: toWireError(new AppError('invalid_request', message)) });
  }

  #store(op: HubStoreOp, args: unknown[]): Promise<unknown> {
    const store = this.#options.callStore;
    const callId = String(args[0]);
    switch (op) {
      case 'heartbeat':
        return store.heartbeat(callId);
      case 'reportVoiceNotFound':
        return store.reportVoiceNotFound(callId, String(args[1]), String(args[2]));
      case 'recordCall':
        // Same key, newer state: the end carries the start, so a waiting start is replaced by it.
        return this.#queued(`call:${callId}`, args[2] ? 'call end' : 'call start', () =>
          store.recordCall(
            callId,
            args[1] as Parameters<CallStore['recordCall']>[1],
            (args[2] ?? undefined) as Parameters<CallStore['recordCall']>[2],
          ),
        );
      case 'recordTurns':
        return this.#queued(`turns:${callId}:${digest(args[1])}`, 'call turns', () =>
          store.recordTurns(callId, args[1] as Parameters<CallStore['recordTurns']>[1]),
        );
      case 'recordMessage':
        return this.#queued(`message:${callId}:${digest(args[1])}`, 'call message', () =>
          store.recordMessage(callId, args[1] as Parameters<CallStore['recordMessage']>[1]),
        );
      case 'recordAnalysis':
        return this.#queued(`analysis:${callId}`, 'call analysis', () =>
          store.recordAnalysis(callId, args[1] as Parameters<CallStore['recordAnalysis']>[1]),
        );
    }
  }

  /**
   * Queues one idempotent write and resolves with what the database answered once it is committed.
   * A full queue answers retryable, so the job keeps the write and sends it again later.
   */
  async #queued(key: string, what: string, run: () => Promise<unknown>): Promise<unknown> {
    if (this.#writes.pending >= this.#options.maxPendingWrites) {
      throw new AppError('unavailable', 'The worker hub holds too many writes for the database; try again later.', {
        retryable: true,
      });
    }
    this.stats.writes += 1;
    let holder = this.#results.get(key);
    if (!holder) this.#results.set(key, (holder = { value: undefined, waiting: 0 }));
    holder.waiting += 1;
    const slot = holder;
    try {
      await this.#writes.enqueue({ key, what, apply: async () => void (slot.value = await run()) });
      return slot.value;
    } finally {
      slot.waiting -= 1;
      if (slot.waiting === 0) this.#results.delete(key);
    }
  }
}

function digest(value: unknown): string {
  return createHash('sha1')
    .update(JSON.stringify(value) ?? '')
    .digest('hex')
    .slice(0, 16);
}
