// Config backend for plain Postgres and the local stack: resolve_agent_config() over a small
// pool, and LISTEN switchboard_config_changed on a dedicated connection that this module
// supervises itself. (postgres.js's own sql.listen() re-listens after a drop but silently gives
// up if the database is still down at that moment, so it is not used.)
//
// Every (re)connect of the listener is a resync: notifications sent while it was down are lost.
// A periodic `select 1` on the listener catches connections that died without a FIN.
import postgres from 'postgres';
import type { ResolvedAgentConfig } from '../../shared/agent_config.ts';
import { AppError } from '../../shared/errors.ts';
import { isRetryablePostgresError } from '../../shared/postgres_errors.ts';
import { retryDelayMs } from '../../shared/retry.ts';
import { guardPostgresTypeFetch } from '../store/postgres_type_fetch_guard.ts';
import type { ConfigBackend, DeliveryEvents } from './backend.ts';
import { CONFIG_CHANGED_CHANNEL, signalFromNotify } from './change_signal.ts';
import { type ConfigLogger, defaultConfigLogger, errorFields } from './config_log.ts';

export interface PostgresBackendOptions {
  databaseUrl: string;
  /** Extra postgres.js options for both connections (tests count queries with `debug`). */
  postgresOptions?: postgres.Options<Record<string, never>>;
  /** Pool size for resolutions. Default 4. */
  poolSize?: number;
  /** Connect timeout, in ms. Default 2 000. */
  connectTimeoutMs?: number;
  /**
   * statement_timeout of the resolution pool, in ms: the server gives up on a resolution nobody
   * waits for any more (callers stop waiting at their own deadline). Default 10 000.
   */
  statementTimeoutMs?: number;
  /** Liveness query on the listener connection, in ms. Default 10 000; 0 disables. */
  listenerPingIntervalMs?: number;
  /** Reconnect delays for the listener, in ms; the last one repeats. */
  reconnectDelaysMs?: readonly number[];
  logger?: ConfigLogger;
}

export const DEFAULT_POSTGRES_BACKEND_OPTIONS = {
  poolSize: 4,
  connectTimeoutMs: 2_000,
  statementTimeoutMs: 10_000,
  listenerPingIntervalMs: 10_000,
  reconnectDelaysMs: [100, 250, 500, 1_000, 2_000, 5_000],
} as const;

export class PostgresConfigBackend implements ConfigBackend {
  readonly kind = 'postgres';
  private readonly options: Required<Omit<PostgresBackendOptions, 'logger' | 'postgresOptions'>> &
    Pick<PostgresBackendOptions, 'postgresOptions'>;
  private readonly log: ConfigLogger;
  private readonly sql: postgres.Sql;
  private events: DeliveryEvents | undefined;
  private listener: postgres.Sql | undefined;
  private pingTimer: NodeJS.Timeout | undefined;
  private reconnectTimer: NodeJS.Timeout | undefined;
  private attempt = 0;
  private closed = false;

  constructor(options: PostgresBackendOptions) {
    const { logger, ...rest } = options;
    this.options = { ...DEFAULT_POSTGRES_BACKEND_OPTIONS, ...rest };
    this.log = logger ?? defaultConfigLogger('config_postgres');
    guardPostgresTypeFetch();
    this.sql = postgres(options.databaseUrl, {
      ...this.connectionOptions(),
      max: this.options.poolSize,
      connection: { statement_timeout: this.options.statementTimeoutMs },
    });
  }

  async fetchOne(dialedNumber: string, signal: AbortSignal): Promise<ResolvedAgentConfig> {
    const rows = await this.run(
      signal,
      () => this.sql`select public.resolve_agent_config(${dialedNumber}) as resolved`,
    );
    return rows[0]!.resolved as ResolvedAgentConfig;
  }

  async fetchMany(dialedNumbers: string[], signal: AbortSignal): Promise<ResolvedAgentConfig[]> {
    const rows = await this.run(
      signal,
      () => this.sql`select public.resolve_agent_configs(${this.sql.array(dialedNumbers)}::text[]) as resolved`,
    );
    return rows[0]!.resolved as ResolvedAgentConfig[];
  }

  async listConfiguredNumbers(limit: number, signal: AbortSignal): Promise<string[]> {
    const rows = await this.run(
      signal,
      () => this.sql`select public.list_configured_numbers(${limit}::integer) as numbers`,
    );
    return rows[0]!.numbers as string[];
  }

  async start(events: DeliveryEvents): Promise<void> {
    this.events = events;
    await this.connectListener();
  }

  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.reconnectTimer);
    clearInterval(this.pingTimer);
    const listener = this.listener;
    this.listener = undefined;
    await Promise.all([listener?.end({ timeout: 1 }), this.sql.end({ timeout: 1 })]);
  }

  private connectionOptions(): postgres.Options<Record<string, never>> {
    return {
      onnotice: () => {},
      ...this.options.postgresOptions,
      connect_timeout: this.options.connectTimeoutMs / 1000,
    };
  }

  /** Runs a query, giving up when `signal` aborts; errors become AppErrors. */
  private async run<T>(
    signal: AbortSignal,
    query: () => postgres.PendingQuery<postgres.Row[]> & Promise<T>,
  ): Promise<T> {
    if (signal.aborted) throw toAppError(signal.reason);
    const pending = query();
    const abort = () => pending.cancel();
    signal.addEventListener('abort', abort, { once: true });
    try {
      return await pending;
    } catch (error) {
      throw toAppError(signal.aborted ? signal.reason : error);
    } finally {
      signal.removeEventListener('abort', abort);
    }
  }

  private async connectListener(): Promise<void> {
    if (this.closed) return;
    const options: ListenerOptions = {
      ...this.connectionOptions(),
      max: 1,
      idle_timeout: 0,
      max_lifetime: null,
      fetch_types: false,
      onnotify: (channel, payload) => {
        if (channel !== CONFIG_CHANGED_CHANNEL || listener !== this.listener) return;
        const signal = signalFromNotify(payload);
        if (signal) this.events?.change(signal);
        else this.log.warn({ channel }, 'ignored a malformed config notification');
      },
      onclose: () => {
        if (listener === this.listener) this.listenerDown(listener, 'listener connection closed');
      },
    };
    const listener = postgres(this.options.databaseUrl, options);
    this.listener = listener;
    try {
      await listener.unsafe(`listen ${CONFIG_CHANGED_CHANNEL}`);
    } catch (error) {
      this.log.warn({ ...errorFields(error), attempt: this.attempt }, 'LISTEN failed: retrying');
      this.listenerDown(listener, 'LISTEN failed');
      return;
    }
    if (listener !== this.listener) return;
    this.attempt = 0;
    this.startPing(listener);
    this.events?.resync(`LISTEN ${CONFIG_CHANGED_CHANNEL}`);
  }

  private listenerDown(listener: postgres.Sql, reason: string): void {
    if (listener !== this.listener) return;
    this.listener = undefined;
    clearInterval(this.pingTimer);
    void listener.end({ timeout: 0 }).catch(() => {});
    this.events?.lost(reason);
    if (this.closed) return;
    const delay = retryDelayMs(this.attempt, this.options.reconnectDelaysMs);
    this.attempt += 1;
    this.reconnectTimer = setTimeout(() => void this.connectListener(), delay);
    this.reconnectTimer.unref();
  }

  private startPing(listener: postgres.Sql): void {
    clearInterval(this.pingTimer);
    const interval = this.options.listenerPingIntervalMs;
    if (interval <= 0) return;
    this.pingTimer = setInterval(() => {
      const ping = listener`select 1`;
      const timer = setTimeout(() => ping.cancel(), interval);
      ping.then(
        () => clearTimeout(timer),
        (error: unknown) => {
          clearTimeout(timer);
          this.log.warn({ ...errorFields(error) }, 'listener ping failed: reconnecting');
          this.listenerDown(listener, 'listener ping failed');
        },
      );
    }, interval);
    this.pingTimer.unref();
  }
}

/** postgres.js supports `onnotify` (what its own listen() uses) but does not type it. */
type ListenerOptions = postgres.Options<Record<string, never>> & {
  onnotify: (channel: string, payload: string) => void;
};

/** What may succeed again (shared/postgres_errors.ts), or an aborted fetch, is retryable 'unavailable'; anything else is the database's answer. */
function toAppError(error: unknown): AppError {
  if (error instanceof AppError) return error;
  if (isRetryablePostgresError(error) || error instanceof DOMException) {
    return new AppError('unavailable', 'The config database is unreachable.', { cause: error, retryable: true });
  }
  return new AppError('internal', 'The config database refused the query.', { cause: error });
}
