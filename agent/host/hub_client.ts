// A job process's connection to its worker's hub (hub_server.ts). Requests have deadlines and
// fail fast while the hub is unreachable (a connect to a Unix socket whose listener is gone is
// refused at once), with a retryable AppError, so callers fall back at once: the config source
// to its call's last known config, the call store to direct writes. A lost connection is retried
// in the background with backoff; every (re)connect is announced so watches are sent again.
import { createConnection, type Socket } from 'node:net';
import { AppError } from '../../shared/errors.ts';
import { type ConfigLogger, defaultConfigLogger } from '../config/config_log.ts';
import type { ResolvedAgentConfig } from '../../shared/agent_config.ts';
import {
  type ClientMessage,
  encode,
  fromWireError,
  HUB_PROTOCOL_VERSION,
  type HubMessage,
  lineReader,
  type WireHubStats,
} from './protocol.ts';

export interface HubClientOptions {
  socketPath: string;
  /** How long a connect and its hello may take, in ms. Default 1 000. */
  connectTimeoutMs?: number;
  /** First background reconnect delay, in ms, doubling up to 5 000. Default 250. */
  reconnectDelayMs?: number;
  logger?: ConfigLogger;
}

export const DEFAULT_HUB_CLIENT_OPTIONS = { connectTimeoutMs: 1_000, reconnectDelayMs: 250 } as const;
const MAX_RECONNECT_DELAY_MS = 5_000;

type Request = Extract<ClientMessage, { id: number }>;
type RequestBody = Request extends infer R ? (R extends Request ? Omit<R, 'id'> : never) : never;

interface Pending {
  resolve(value: unknown): void;
  reject(error: unknown): void;
  timer: NodeJS.Timeout;
}

export class HubClient {
  readonly #options: Required<Omit<HubClientOptions, 'logger'>>;
  readonly #log: ConfigLogger;
  readonly #pending = new Map<number, Pending>();
  readonly #changeListeners = new Set<(number: string, resolved: ResolvedAgentConfig) => void>();
  readonly #connectListeners = new Set<() => void>();
  #socket: Socket | undefined;
  #connecting: Promise<boolean> | undefined;
  #nextId = 1;
  #reconnectTimer: NodeJS.Timeout | undefined;
  #reconnectDelayMs: number;
  #refused = false;
  #closed = false;
  /** The hub's process id once welcomed (main's pid). */
  hubPid: number | null = null;

  constructor(options: HubClientOptions) {
    const { logger, ...rest } = options;
    this.#options = { ...DEFAULT_HUB_CLIENT_OPTIONS, ...rest };
    this.#log = logger ?? defaultConfigLogger('worker_hub_client');
    this.#reconnectDelayMs = this.#options.reconnectDelayMs;
  }

  get connected(): boolean {
    return this.#socket !== undefined;
  }

  /** Called with every config change the hub pushes for a watched number. */
  onChange(listener: (number: string, resolved: ResolvedAgentConfig) => void): void {
    this.#changeListeners.add(listener);
  }

  /** Called after every successful (re)connect. */
  onConnect(listener: () => void): void {
    this.#connectListeners.add(listener);
  }

  /** Connects (once at a time); resolves false when the hub is unreachable or refused us. */
  connect(): Promise<boolean> {
    if (this.#socket) return Promise.resolve(true);
    if (this.#closed || this.#refused) return Promise.resolve(false);
    this.#connecting ??= this.#open().then((ok) => {
      this.#connecting = undefined;
      if (!ok) this.#scheduleReconnect();
      return ok;
    });
    return this.#connecting;
  }

  /** Sends a request and waits for its reply at most timeoutMs. */
  async request(body: RequestBody, timeoutMs: number): Promise<unknown> {
    if (!(await this.connect())) throw unreachable('the worker hub is unreachable');
    const socket = this.#socket!;
    const id = this.#nextId++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#pending.delete(id);
        reject(new AppError('timeout', `The worker hub did not answer within ${timeoutMs} ms.`, { retryable: true }));
      }, timeoutMs);
      this.#pending.set(id, { resolve, reject, timer });
      socket.write(encode({ ...body, id } as ClientMessage));
    });
  }

  /** The hub's counters (read-only). A hub that predates `stats` does not answer: the deadline rejects. */
  async stats(timeoutMs: number = DEFAULT_HUB_CLIENT_OPTIONS.connectTimeoutMs): Promise<WireHubStats> {
    return (await this.request({ t: 'stats' }, timeoutMs)) as WireHubStats;
  }

  /** Sends a message that has no reply; dropped while disconnected (watches are resent on connect). */
  send(message: Extract<ClientMessage, { t: 'watch' | 'unwatch' }>): void {
    this.#socket?.write(encode(message));
  }

  close(): void {
    this.#closed = true;
    clearTimeout(this.#reconnectTimer);
    this.#socket?.destroy();
  }

  #open(): Promise<boolean> {
    return new Promise((resolve) => {
      const socket = createConnection(this.#options.socketPath);
      socket.setNoDelay(true);
      let settled = false;
      const settle = (ok: boolean) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        if (!ok) socket.destroy();
        resolve(ok);
      };
      const timer = setTimeout(() => settle(false), this.#options.connectTimeoutMs);
      const read = lineReader((message) => {
        const m = message as HubMessage;
        if (!settled) {
          if (m.t === 'welcome') {
            this.hubPid = m.pid;
            this.#socket = socket;
            this.#reconnectDelayMs = this.#options.reconnectDelayMs;
            settle(true);
            for (const listener of this.#connectListeners) listener();
          } else if (m.t === 'refused') {
            this.#refused = true;
            this.#log.error(
              { reason: m.reason, hub_version: m.v, version: HUB_PROTOCOL_VERSION },
              'worker hub refused this process: working without it',
            );
            settle(false);
          }
          return;
        }
        this.#onMessage(m);
      });
      socket.on('connect', () => socket.write(encode({ t: 'hello', v: HUB_PROTOCOL_VERSION, pid: process.pid })));
      socket.on('data', (chunk) => {
        if (!read(chunk)) socket.destroy();
      });
      socket.on('error', () => settle(false));
      socket.on('close', () => {
        settle(false);
        if (this.#socket !== socket) return;
        this.#socket = undefined;
        for (const [id, pending] of this.#pending) {
          clearTimeout(pending.timer);
          pending.reject(unreachable('the connection to the worker hub was lost'));
          this.#pending.delete(id);
        }
        if (!this.#closed) this.#log.warn({}, 'lost the worker hub: reconnecting in the background');
        this.#scheduleReconnect();
      });
    });
  }

  #onMessage(message: HubMessage): void {
    if (message.t === 'reply') {
      const pending = this.#pending.get(message.id);
      if (!pending) return;
      this.#pending.delete(message.id);
      clearTimeout(pending.timer);
      if (message.ok) pending.resolve(message.value);
      else pending.reject(fromWireError(message.error));
    } else if (message.t === 'change') {
      for (const listener of this.#changeListeners) listener(message.number, message.resolved);
    }
  }

  #scheduleReconnect(): void {
    if (this.#closed || this.#refused || this.#reconnectTimer) return;
    const delay = this.#reconnectDelayMs;
    this.#reconnectDelayMs = Math.min(delay * 2, MAX_RECONNECT_DELAY_MS);
    this.#reconnectTimer = setTimeout(() => {
      this.#reconnectTimer = undefined;
      void this.connect().then((ok) => {
        if (!ok) this.#scheduleReconnect();
      });
    }, delay);
    this.#reconnectTimer.unref();
  }
}

/**
 * One look at a hub's counters from outside its worker (tests, an operator's script): connects,
 * asks, disconnects. Rejects with a retryable AppError when no hub answers within timeoutMs.
 */
export async function readHubStats(socketPath: string, timeoutMs: number = 1_000): Promise<WireHubStats> {
  const client = new HubClient({ socketPath, connectTimeoutMs: timeoutMs });
  try {
    return await client.stats(timeoutMs);
  } finally {
    client.close();
  }
}

function unreachable(message: string): AppError {
  return new AppError('unavailable', `${message}.`, { retryable: true });
}
