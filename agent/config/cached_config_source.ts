// The ConfigSource both backends share: a worker-level cache of resolutions per dialed number,
// kept current by the backend's change signals, refetched on every resync and by a periodic
// reconcile, and kept as the last known answer while the database is unreachable.
//
// Ordering: every fetch takes a sequence number when it starts; a result is applied only if no
// later-started fetch was applied before it, and never if it holds an older version of the same
// config. Listeners therefore only ever see newer resolutions.
import type { ResolvedAgentConfig } from '../../shared/agent_config.ts';
import { withTimeout } from '../../shared/deadline.ts';
import { AppError } from '../../shared/errors.ts';
import { toE164 } from '../../shared/phone.ts';
import { doublingScheduleMs, retryDelayMs } from '../../shared/retry.ts';
import type { ChangeSignal, ConfigBackend, DeliveryEvents, DeliveryProblem, DeliveryProblemCode } from './backend.ts';
import { changeAffects, isNotOlder, sameResolution } from './change_matching.ts';
import { type ConfigLogger, defaultConfigLogger, errorFields } from './config_log.ts';
import type { ConfigListener, ConfigSource, ResolvedCallConfig } from './types.ts';

export interface CachedConfigSourceOptions {
  /** Periodic refetch of everything cached, in ms. Default 60 000; 0 disables. */
  reconcileIntervalMs?: number;
  /** A resolve waits this long for the database before answering with the last known config. Default 2 500. */
  fetchTimeoutMs?: number;
  /** Numbers kept; the least recently used unwatched ones go first. Default 10 000. */
  maxEntries?: number;
  /** First retry delay after a failed refetch, doubling up to the reconcile interval. Default 500. */
  retryDelayMs?: number;
  logger?: ConfigLogger;
}

export const DEFAULT_CACHED_CONFIG_SOURCE_OPTIONS = {
  reconcileIntervalMs: 60_000,
  fetchTimeoutMs: 2_500,
  maxEntries: 10_000,
  retryDelayMs: 500,
} as const;

/** What preload() did. */
export interface PreloadResult {
  /** Numbers the database listed (at most the cap). */
  listed: number;
  /** Numbers now in the cache because of the preload. */
  loaded: number;
  /** The listing or a batch failed; what loaded stays, the rest resolve on their first call. */
  failed: boolean;
  durationMs: number;
}

/** Counters for tests, benches and health output. */
export interface ConfigSourceStats {
  fetches: number;
  fetchFailures: number;
  cacheHits: number;
  lastKnownAnswers: number;
  changesApplied: number;
  staleDiscarded: number;
  resyncs: number;
  deliveryLive: boolean;
  /**
   * Change delivery is down for a reason the project must fix (logged at error level once, with
   * the fix); null when there is none. While set, calls resolve from the database.
   */
  deliveryProblem: DeliveryProblemCode | null;
}

interface Entry {
  key: string;
  resolved: ResolvedAgentConfig;
  /** Sequence number of the fetch whose result this is. */
  seq: number;
  /** Delivery epoch when that fetch started; the entry is current only within a live epoch. */
  epoch: number;
  /** A change touched this entry and its refetch has not landed yet. */
  dirty: boolean;
  lastUsed: number;
}

interface InFlight {
  seq: number;
  promise: Promise<ResolvedAgentConfig>;
}

export class CachedConfigSource implements ConfigSource {
  readonly backend: ConfigBackend;
  readonly stats: ConfigSourceStats = {
    fetches: 0,
    fetchFailures: 0,
    cacheHits: 0,
    lastKnownAnswers: 0,
    changesApplied: 0,
    staleDiscarded: 0,
    resyncs: 0,
    deliveryLive: false,
    deliveryProblem: null,
  };
  private readonly options: Required<Omit<CachedConfigSourceOptions, 'logger'>>;
  private readonly log: ConfigLogger;
  private readonly entries = new Map<string, Entry>();
  private readonly watchers = new Map<string, Set<ConfigListener>>();
  private readonly inFlight = new Map<string, InFlight>();
  /** Sequence numbers of every fetch (single or batch) still running. */
  private readonly running = new Set<number>();
  /** Changes seen while fetches were running, to re-check their results against. */
  private recentChanges: Array<{ seq: number; signal: ChangeSignal }> = [];
  private nextSeq = 1;
  private epoch = 0;
  private live = false;
  private refetchAllRunning: Promise<void> | undefined;
  private refetchAllAgain = false;
  private reconcileTimer: NodeJS.Timeout | undefined;
  private retryTimer: NodeJS.Timeout | undefined;
  private retryAttempt = 0;
  private readonly retrySchedule: readonly number[];
  private closed = false;

  constructor(backend: ConfigBackend, options: CachedConfigSourceOptions = {}) {
    this.backend = backend;
    const { logger, ...rest } = options;
    this.options = { ...DEFAULT_CACHED_CONFIG_SOURCE_OPTIONS, ...rest };
    this.log = logger ?? defaultConfigLogger('config_source');
    const cap = this.options.reconcileIntervalMs > 0 ? this.options.reconcileIntervalMs : 30_000;
    this.retrySchedule = doublingScheduleMs(this.options.retryDelayMs, cap);
  }

  async start(): Promise<void> {
    const events: DeliveryEvents = {
      resync: (reason) => this.onResync(reason),
      lost: (reason, problem) => this.onLost(reason, problem),
      change: (signal) => this.onChange(signal),
    };
    await this.backend.start(events);
    if (this.options.reconcileIntervalMs > 0) {
      this.reconcileTimer = setInterval(() => void this.refetchAll('reconcile'), this.options.reconcileIntervalMs);
      this.reconcileTimer.unref();
    }
  }

  async resolve(dialedNumber: string): Promise<ResolvedCallConfig> {
    const key = cacheKey(dialedNumber);
    const entry = this.entries.get(key);
    if (entry) entry.lastUsed = Date.now();
    if (entry && this.isCurrent(entry)) {
      this.stats.cacheHits += 1;
      return { resolved: entry.resolved, origin: 'cache' };
    }
    try {
      const timeoutMs = this.options.fetchTimeoutMs;
      const resolved = await withTimeout(this.fetch(key), {
        timeoutMs,
        error: () =>
          new AppError('timeout', `The config database did not answer within ${timeoutMs} ms.`, { retryable: true }),
      });
      return { resolved, origin: 'database' };
    } catch (error) {
      const known = this.entries.get(key);
      if (known) {
        this.stats.lastKnownAnswers += 1;
        this.log.warn(
          {
            ...errorFields(error),
            'pii.dialed_number': key,
            config_id: known.resolved.config?.id ?? null,
            version: known.resolved.config?.version ?? null,
          },
          'database unreachable: answering with the last known config',
        );
        return { resolved: known.resolved, origin: 'last_known' };
      }
      throw error instanceof AppError
        ? error
        : new AppError('unavailable', 'The config database is unreachable and this number has no last known config.', {
            cause: error,
            retryable: true,
          });
    }
  }

  watch(dialedNumber: string, listener: ConfigListener): () => void {
    const key = cacheKey(dialedNumber);
    let set = this.watchers.get(key);
    if (!set) this.watchers.set(key, (set = new Set()));
    set.add(listener);
    // A watch before any resolve still needs an entry for changes to match against.
    if (!this.entries.has(key)) void this.fetch(key).catch(() => this.scheduleRetry());
    return () => {
      set.delete(listener);
      if (set.size === 0) this.watchers.delete(key);
    };
  }

  async close(): Promise<void> {
    this.closed = true;
    clearInterval(this.reconcileTimer);
    clearTimeout(this.retryTimer);
    this.watchers.clear();
    await this.backend.close();
  }

  /**
   * Fills the cache with the numbers that have a config, most recently updated first, up to
   * `limit` (at most maxEntries, the default) and never past maxEntries in all. A job process
   * calls it while it idles (prewarm) so its one call resolves from the cache. Preloaded entries
   * are kept current like any other (change signals, resyncs, reconcile). Never rejects: on a
   * failure the numbers not loaded simply resolve from the database on their first call.
   */
  async preload(limit: number = this.options.maxEntries): Promise<PreloadResult> {
    const started = performance.now();
    const cap = Math.max(0, Math.min(limit, this.options.maxEntries));
    let numbers: string[];
    try {
      numbers =
        cap === 0
          ? []
          : await this.backend.listConfiguredNumbers(cap, AbortSignal.timeout(this.options.fetchTimeoutMs * 4));
    } catch (error) {
      this.stats.fetchFailures += 1;
      this.log.warn({ ...errorFields(error) }, 'config preload failed: calls resolve from the database');
      return { listed: 0, loaded: 0, failed: true, durationMs: performance.now() - started };
    }
    const room = Math.max(0, this.options.maxEntries - this.entries.size);
    const keys = [...new Set(numbers.map(cacheKey))].filter((key) => !this.entries.has(key)).slice(0, room);
    await this.refetch(keys, 'preload', PRELOAD_BATCH_SIZE);
    const loaded = keys.filter((key) => this.entries.has(key)).length;
    const result = {
      listed: numbers.length,
      loaded,
      failed: loaded < keys.length,
      durationMs: performance.now() - started,
    };
    this.log.info(
      { listed: result.listed, loaded, failed: result.failed, duration_ms: Math.round(result.durationMs) },
      'config cache preloaded',
    );
    return result;
  }

  /** Forces a refetch of everything cached (what a resync does). */
  reconcile(): Promise<void> {
    return this.refetchAll('manual');
  }

  /** Resolves once no resync or reconcile refetch is running (tests and benches wait on it). */
  async idle(): Promise<void> {
    while (this.refetchAllRunning) await this.refetchAllRunning;
  }

  private isCurrent(entry: Entry): boolean {
    return this.live && entry.epoch === this.epoch && !entry.dirty;
  }

  // ---- delivery events --------------------------------------------------------------------

  private onResync(reason: string): void {
    if (this.closed) return;
    this.epoch += 1;
    this.live = true;
    this.stats.deliveryLive = true;
    this.stats.resyncs += 1;
    if (this.stats.deliveryProblem) {
      this.log.info({ problem: this.stats.deliveryProblem, reason }, 'config delivery problem resolved');
      this.stats.deliveryProblem = null;
      this.reportDeliveryProblem(null);
    }
    this.log.info({ reason, cached: this.entries.size }, 'config delivery live: refetching cached configs');
    void this.refetchAll(reason);
  }

  private onLost(reason: string, problem?: DeliveryProblem): void {
    if (this.closed) return;
    if (problem && this.stats.deliveryProblem !== problem.code) {
      this.stats.deliveryProblem = problem.code;
      this.log.error(
        { problem: problem.code, detail: problem.detail, fix: problem.fix, reason, cached: this.entries.size },
        'config delivery refused: live config changes are off until the project is fixed; calls resolve from the database',
      );
      this.reportDeliveryProblem(problem);
    }
    if (!this.live) return;
    this.epoch += 1;
    this.live = false;
    this.stats.deliveryLive = false;
    this.log.warn(
      { reason, cached: this.entries.size },
      'config delivery lost: cached configs are last known until it is back',
    );
  }

  /** An open config issue the SIP doctor lists; best effort, bounded, never in a call's way. */
  private reportDeliveryProblem(problem: DeliveryProblem | null): void {
    const report = this.backend.reportDeliveryProblem?.(problem, AbortSignal.timeout(this.options.fetchTimeoutMs));
    report?.catch((error: unknown) =>
      this.log.warn(
        { ...errorFields(error), problem: problem?.code ?? null },
        'could not report the config delivery problem',
      ),
    );
  }

  private onChange(signal: ChangeSignal): void {
    if (this.closed) return;
    if (this.running.size > 0) this.recentChanges.push({ seq: this.nextSeq, signal });
    const affected: string[] = [];
    for (const entry of this.entries.values()) {
      if (!changeAffects(signal, entry.key, entry.resolved)) continue;
      entry.dirty = true;
      affected.push(entry.key);
    }
    this.log.debug({ table: signal.table, op: signal.op, affected: affected.length }, 'config change received');
    if (affected.length > 0) void this.refetch(affected, `${signal.table} ${signal.op}`);
  }

  // ---- fetching ---------------------------------------------------------------------------

  /** One number, single-flight: concurrent callers share the round trip. */
  private fetch(key: string, reason = 'resolve'): Promise<ResolvedAgentConfig> {
    const running = this.inFlight.get(key);
    if (running) return running.promise;
    const seq = this.beginFetch();
    const epoch = this.epoch;
    // The resolve gives up after fetchTimeoutMs; the round trip may still land and refresh the cache.
    const promise = this.backend.fetchOne(key, AbortSignal.timeout(this.options.fetchTimeoutMs * 4)).then(
      (resolved) => {
        this.endFetch(key, seq);
        this.apply(key, resolved, seq, epoch, reason);
        // An older answer than the cache's was discarded: the caller gets the newer one.
        return this.entries.get(key)?.resolved ?? resolved;
      },
      (error: unknown) => {
        this.endFetch(key, seq);
        this.stats.fetchFailures += 1;
        throw error;
      },
    );
    this.inFlight.set(key, { seq, promise });
    return promise;
  }

  /** Several numbers in one round trip (or one, through the single-flight path). */
  private async refetch(keys: string[], reason: string, batchSize = BATCH_SIZE): Promise<void> {
    if (keys.length === 1) {
      await this.fetch(keys[0]!, reason).then(
        () => undefined,
        (error: unknown) => this.refetchFailed(error, reason),
      );
      return;
    }
    for (let i = 0; i < keys.length; i += batchSize) {
      const batch = keys.slice(i, i + batchSize);
      const seq = this.beginFetch();
      const epoch = this.epoch;
      try {
        const results = await this.backend
          .fetchMany(batch, AbortSignal.timeout(this.options.fetchTimeoutMs * 4))
          .finally(() => this.endFetch(undefined, seq));
        batch.forEach((key, index) => {
          const resolved = results[index];
          if (resolved) this.apply(key, resolved, seq, epoch, reason);
        });
      } catch (error) {
        this.stats.fetchFailures += 1;
        this.refetchFailed(error, reason);
        return;
      }
    }
  }

  private refetchAll(reason: string): Promise<void> {
    if (this.closed) return Promise.resolve();
    if (this.refetchAllRunning) {
      this.refetchAllAgain = true;
      return this.refetchAllRunning;
    }
    this.refetchAllRunning = (async () => {
      do {
        this.refetchAllAgain = false;
        await this.refetch([...this.entries.keys()], reason);
      } while (this.refetchAllAgain && !this.closed);
    })().finally(() => (this.refetchAllRunning = undefined));
    return this.refetchAllRunning;
  }

  private refetchFailed(error: unknown, reason: string): void {
    this.log.warn({ ...errorFields(error), reason }, 'config refetch failed: keeping the last known configs, retrying');
    this.scheduleRetry();
  }

  private scheduleRetry(): void {
    if (this.closed || this.retryTimer) return;
    const delay = retryDelayMs(this.retryAttempt, this.retrySchedule);
    this.retryAttempt += 1;
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      const stale = [...this.entries.values()].filter((e) => !this.isCurrent(e)).map((e) => e.key);
      if (stale.length > 0) void this.refetch(stale, 'retry');
    }, delay);
    this.retryTimer.unref();
  }

  // ---- applying results -------------------------------------------------------------------

  private apply(key: string, resolved: ResolvedAgentConfig, seq: number, epoch: number, reason: string): void {
    if (this.closed) return;
    const current = this.entries.get(key);
    if (current && (seq < current.seq || !isNotOlder(resolved, current.resolved))) {
      this.stats.staleDiscarded += 1;
      this.log.debug(
        {
          'pii.dialed_number': key,
          config_id: resolved.config?.id ?? null,
          version: resolved.config?.version ?? null,
          cached_version: current.resolved.config?.version ?? null,
          reason,
        },
        'discarded an older config resolution',
      );
      return;
    }
    this.retryAttempt = 0;
    // A change that landed while this fetch was running may not be in its snapshot.
    const missedChange = this.recentChanges.some((c) => c.seq > seq && changeAffects(c.signal, key, resolved));
    const changed = current !== undefined && !sameResolution(current.resolved, resolved);
    this.entries.set(key, {
      key,
      resolved,
      seq,
      epoch,
      dirty: missedChange,
      lastUsed: current?.lastUsed ?? Date.now(),
    });
    this.evictIfFull();
    if (missedChange) void this.refetch([key], 'change during fetch');
    if (!changed) return;
    this.stats.changesApplied += 1;
    this.log.info(
      {
        'pii.dialed_number': key,
        config_id: resolved.config?.id ?? null,
        version: resolved.config?.version ?? null,
        previous_version: current.resolved.config?.version ?? null,
        voice_id: resolved.config?.voice_id ?? null,
        reason,
      },
      'config change applied',
    );
    for (const listener of [...(this.watchers.get(key) ?? [])]) {
      try {
        listener(resolved);
      } catch (error) {
        this.log.error({ ...errorFields(error) }, 'config listener threw');
      }
    }
  }

  private beginFetch(): number {
    const seq = this.nextSeq++;
    this.running.add(seq);
    this.stats.fetches += 1;
    return seq;
  }

  /** Called before the result is applied, so a refetch it triggers starts a new round trip. */
  private endFetch(key: string | undefined, seq: number): void {
    this.running.delete(seq);
    if (key !== undefined && this.inFlight.get(key)?.seq === seq) this.inFlight.delete(key);
    // Keep the changes a still-running fetch (or the result about to be applied) must be checked against.
    const oldest = Math.min(seq, ...this.running);
    this.recentChanges = this.recentChanges.filter((c) => c.seq > oldest);
  }

  private evictIfFull(): void {
    if (this.entries.size <= this.options.maxEntries) return;
    const candidates = [...this.entries.values()]
      .filter((e) => !this.watchers.has(e.key))
      .sort((a, b) => a.lastUsed - b.lastUsed);
    for (const entry of candidates.slice(0, this.entries.size - this.options.maxEntries))
      this.entries.delete(entry.key);
  }
}

const BATCH_SIZE = 100;
/** Larger batches for the preload: fewer round trips while the process idles. */
const PRELOAD_BATCH_SIZE = 250;

/** The cache key: E.164 when the number can be one (as resolve_agent_config normalizes it). */
export function cacheKey(dialedNumber: string): string {
  return toE164(dialedNumber) ?? dialedNumber.trim();
}
