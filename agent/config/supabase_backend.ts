// Config backend for Supabase: resolve_agent_config() through supabase-js rpc, and one Realtime
// channel with postgres_changes on agent_configs, phone_numbers and voices (service role), joined
// with postgres_changes_options.wait so SUBSCRIBED means changes are flowing.
//
// Realtime drops events and channels get stuck (docs/supabase.md §6.4), so: every SUBSCRIBED
// (first or rejoin) and every ready system message is a resync; CHANNEL_ERROR, TIMED_OUT, CLOSED
// and heartbeat timeouts mark delivery lost; a watchdog recreates a channel that has not
// (re)subscribed in time, and CLOSED (never rejoined by the client) recreates it at once, with
// backoff between recreations.
//
// A server that ignores `wait` (older hosted, self-hosted and CLI versions) answers the join with
// ok and reports a failed subscription (e.g. a table missing from the publication) only in a
// postgres_changes `system` error, and never retries it: the channel looks SUBSCRIBED but no
// change will ever come. That error is lost delivery, the channel is recreated with backoff, and
// until a ready message says changes flow, SUBSCRIBED alone is not trusted as live. Refusals a
// retry cannot fix (the publication, a private-only project) are reported as a DeliveryProblem,
// which the cache logs at error level and shows in its stats.
import {
  createClient,
  type RealtimeChannel,
  type SupabaseClient,
  type SupabaseClientOptions,
} from '@supabase/supabase-js';
import type { ResolvedAgentConfig } from '../../shared/agent_config.ts';
import { retryDelayMs } from '../../shared/retry.ts';
import { CONFIG_TABLES, type ConfigBackend, type DeliveryEvents, type DeliveryProblem } from './backend.ts';
import { type RealtimeChange, signalFromRealtime } from './change_signal.ts';
import { type ConfigLogger, defaultConfigLogger, errorFields } from './config_log.ts';
import { rpcError } from './supabase_errors.ts';

type RealtimeClientOptions = NonNullable<SupabaseClientOptions<'public'>['realtime']>;

export interface SupabaseBackendOptions {
  supabaseUrl: string;
  /** The service_role key (legacy JWT or sb_secret_…): resolutions cross owners. */
  serviceRoleKey: string;
  /** A channel not SUBSCRIBED this long after a problem is removed and recreated, in ms. Default 30 000. */
  watchdogMs?: number;
  /** Delays before successive channel recreations, in ms; the last one repeats. */
  recreateDelaysMs?: readonly number[];
  /** start() resolves after this long even if the channel has not answered yet (it keeps trying), in ms. Default 5 000. */
  startTimeoutMs?: number;
  /** Realtime heartbeat, in ms. Default 15 000. */
  heartbeatIntervalMs?: number;
  /** Socket reconnect delays, in ms; the last one repeats. */
  reconnectDelaysMs?: readonly number[];
  /** Extra realtime-js options (benches pass an instrumented transport). */
  realtime?: RealtimeClientOptions;
  /** fetch for PostgREST calls (benches time round trips with it). */
  fetch?: typeof fetch;
  logger?: ConfigLogger;
}

export const DEFAULT_SUPABASE_BACKEND_OPTIONS = {
  watchdogMs: 30_000,
  startTimeoutMs: 5_000,
  recreateDelaysMs: [250, 1_000, 5_000, 15_000, 30_000],
  heartbeatIntervalMs: 15_000,
  reconnectDelaysMs: [500, 1_000, 2_000, 5_000, 10_000],
} as const;

const SUBSCRIPTION_FIX =
  'Put public.agent_configs, public.phone_numbers and public.voices in the supabase_realtime publication ' +
  '(`npm run db:migrate` does) and let the service role SELECT them; the worker recreates its channel with backoff until Realtime subscribes.';
const PRIVATE_ONLY_FIX =
  "Allow public channels in the project's Realtime settings (private_only off): the worker's config channel is public. " +
  'Until then every call resolves from the database, and live calls see config changes only at the periodic reconcile.';

/** A join refusal that retrying will not fix, as a DeliveryProblem; undefined for anything transient. */
export function deliveryProblemFrom(message: string): DeliveryProblem | undefined {
  if (/\bPrivateOnly\b|only allows private channels/.test(message))
    return { code: 'realtime_private_only', detail: message, fix: PRIVATE_ONLY_FIX };
  if (/RealtimeDisabledForConfiguration|Unable to subscribe to changes/.test(message)) {
    return { code: 'realtime_subscription_failed', detail: message, fix: SUBSCRIPTION_FIX };
  }
  return undefined;
}

export class SupabaseConfigBackend implements ConfigBackend {
  readonly kind = 'supabase';
  /** Channels created so far (the first one included). */
  channelsCreated = 0;
  private readonly options: SupabaseBackendOptions &
    Required<
      Pick<
        SupabaseBackendOptions,
        'watchdogMs' | 'startTimeoutMs' | 'recreateDelaysMs' | 'heartbeatIntervalMs' | 'reconnectDelaysMs'
      >
    >;
  private readonly log: ConfigLogger;
  private readonly client: SupabaseClient;
  private events: DeliveryEvents | undefined;
  private channel: RealtimeChannel | undefined;
  private generation = 0;
  private subscribed = false;
  private watchdog: NodeJS.Timeout | undefined;
  private recreateTimer: NodeJS.Timeout | undefined;
  private recreateAttempt = 0;
  /** The fault last reported, until a ready message (or, for a refused join, SUBSCRIBED) clears it. */
  private problem: DeliveryProblem | undefined;
  private firstOutcome: (() => void) | undefined;
  private closed = false;

  constructor(options: SupabaseBackendOptions) {
    this.options = { ...DEFAULT_SUPABASE_BACKEND_OPTIONS, ...options };
    this.log = options.logger ?? defaultConfigLogger('config_supabase');
    const reconnect = this.options.reconnectDelaysMs;
    this.client = createClient(options.supabaseUrl, options.serviceRoleKey, {
      auth: { persistSession: false, autoRefreshToken: false, detectSessionInUrl: false },
      ...(options.fetch ? { global: { fetch: options.fetch } } : {}),
      realtime: {
        heartbeatIntervalMs: this.options.heartbeatIntervalMs,
        reconnectAfterMs: (tries: number) => retryDelayMs(tries - 1, reconnect),
        heartbeatCallback: (status) => {
          if (status === 'timeout') this.events?.lost('realtime heartbeat timed out');
        },
        ...options.realtime,
      },
    });
  }

  async fetchOne(dialedNumber: string, signal: AbortSignal): Promise<ResolvedAgentConfig> {
    const { data, error, status } = await this.client
      .rpc('resolve_agent_config', { p_dialed_number: dialedNumber })
      .abortSignal(signal);
    if (error) throw rpcError('resolve_agent_config', error, status);
    return data as ResolvedAgentConfig;
  }

  async fetchMany(dialedNumbers: string[], signal: AbortSignal): Promise<ResolvedAgentConfig[]> {
    const { data, error, status } = await this.client
      .rpc('resolve_agent_configs', { p_dialed_numbers: dialedNumbers })
      .abortSignal(signal);
    if (error) throw rpcError('resolve_agent_configs', error, status);
    return data as ResolvedAgentConfig[];
  }

  async listConfiguredNumbers(limit: number, signal: AbortSignal): Promise<string[]> {
    const { data, error, status } = await this.client
      .rpc('list_configured_numbers', { p_limit: limit })
      .abortSignal(signal);
    if (error) throw rpcError('list_configured_numbers', error, status);
    return data as string[];
  }

  async reportDeliveryProblem(problem: DeliveryProblem | null, signal: AbortSignal): Promise<void> {
    const args = { p_problem: problem?.code ?? null, p_detail: problem?.detail ?? null };
    const { error, status } = await this.client.rpc('report_config_delivery', args).abortSignal(signal);
    if (error) throw rpcError('report_config_delivery', error, status);
  }

  start(events: DeliveryEvents): Promise<void> {
    this.events = events;
    // A join waits for the socket, which may not connect at all: a worker must start anyway.
    const first = new Promise<void>((resolve) => {
      this.firstOutcome = resolve;
      const timer = setTimeout(() => {
        if (!this.firstOutcome) return;
        this.log.warn(
          { timeout_ms: this.options.startTimeoutMs },
          'config channel not answering yet: starting without live changes, still trying',
        );
        this.settleStart();
      }, this.options.startTimeoutMs);
      timer.unref();
    });
    this.createChannel();
    return first;
  }

  async close(): Promise<void> {
    this.closed = true;
    this.generation += 1;
    clearTimeout(this.watchdog);
    clearTimeout(this.recreateTimer);
    this.firstOutcome?.();
    await this.client.removeAllChannels().catch(() => {});
    this.client.realtime.disconnect();
  }

  private createChannel(): void {
    if (this.closed) return;
    const generation = ++this.generation;
    this.channelsCreated += 1;
    this.subscribed = false;
    const current = () => generation === this.generation && !this.closed;
    let channel = this.client.channel(`switchboard-config-${this.channelsCreated}`, {
      config: { postgres_changes_options: { wait: true } },
    });
    for (const table of CONFIG_TABLES) {
      channel = channel.on('postgres_changes', { event: '*', schema: 'public', table }, (payload) => {
        if (!current()) return;
        const signal = signalFromRealtime(payload as unknown as RealtimeChange);
        if (signal) this.events?.change(signal);
      });
    }
    channel = channel.on('system', {}, (payload: { extension?: string; status?: string; message?: string }) => {
      if (!current() || payload.extension !== 'postgres_changes') return;
      if (payload.status === 'ok') {
        // Changes flow: the only sure sign on a server that ignores `wait`.
        this.subscribed = true;
        clearTimeout(this.watchdog);
        this.watchdog = undefined;
        this.recreateAttempt = 0;
        this.problem = undefined;
        this.events?.resync('postgres_changes ready');
        return;
      }
      // The channel stays joined, but this subscription is not retried by every server: recreate it.
      const detail = payload.message ?? `postgres_changes ${payload.status ?? 'error'}`;
      this.subscribed = false;
      this.log.warn({ status: payload.status, message: detail }, 'postgres_changes subscription failed');
      this.report('postgres_changes error', { code: 'realtime_subscription_failed', detail, fix: SUBSCRIPTION_FIX });
      this.recreate('postgres_changes subscription failed');
    });
    this.channel = channel;
    this.armWatchdog(generation);
    channel.subscribe((status, err) => {
      if (!current()) return;
      this.onStatus(generation, status, err);
    });
  }

  private onStatus(generation: number, status: string, err: Error | undefined): void {
    if (status === 'SUBSCRIBED') {
      this.settleStart();
      // After a failed subscription, an ok join proves nothing on a server that ignores `wait`:
      // the ready message decides, or the watchdog recreates the channel if none comes.
      if (this.problem?.code === 'realtime_subscription_failed') {
        this.armWatchdog(generation);
        return;
      }
      this.subscribed = true;
      clearTimeout(this.watchdog);
      this.watchdog = undefined;
      this.problem = undefined;
      this.events?.resync('SUBSCRIBED');
      return;
    }
    this.subscribed = false;
    const problem = err ? deliveryProblemFrom(err.message) : undefined;
    this.log.warn({ status, ...(err ? errorFields(err) : {}) }, 'config channel not subscribed');
    this.report(status, problem);
    this.settleStart();
    // The client never rejoins a CLOSED channel; the others it retries itself, watched.
    if (status === 'CLOSED') this.recreate('channel closed');
    else this.armWatchdog(generation);
  }

  /** Delivery is lost; a problem (a fix needed in the project) is passed on once per kind. */
  private report(reason: string, problem: DeliveryProblem | undefined): void {
    if (problem) this.problem = problem;
    this.events?.lost(reason, problem);
  }

  private armWatchdog(generation: number): void {
    if (this.watchdog) return;
    this.watchdog = setTimeout(() => {
      this.watchdog = undefined;
      if (generation === this.generation && !this.subscribed && !this.closed)
        this.recreate('watchdog: not subscribed in time');
    }, this.options.watchdogMs);
    this.watchdog.unref();
  }

  private recreate(reason: string): void {
    if (this.closed || this.recreateTimer) return;
    clearTimeout(this.watchdog);
    this.watchdog = undefined;
    const old = this.channel;
    this.channel = undefined;
    this.generation += 1;
    if (old) void this.client.removeChannel(old).catch(() => {});
    const delay = retryDelayMs(this.recreateAttempt, this.options.recreateDelaysMs);
    this.recreateAttempt += 1;
    this.log.warn({ reason, delay_ms: delay, attempt: this.recreateAttempt }, 'recreating the config channel');
    this.recreateTimer = setTimeout(() => {
      this.recreateTimer = undefined;
      this.createChannel();
    }, delay);
    this.recreateTimer.unref();
  }

  private settleStart(): void {
    this.firstOutcome?.();
    this.firstOutcome = undefined;
  }
}
