// The ConfigSource of a job process when its worker runs a hub: every resolve is answered by the
// host's cache in the main process (one local round trip), and watches are the hub's change
// delivery. The process keeps no per-number cache of its own: only the resolutions of the numbers
// it resolved or watches (its call's), so that a hub that cannot be reached still leaves the call
// its own config (origin 'last_known'); a number it never had then rejects, and the call flow
// answers with the default agent (resolve_call_config.ts), as with the database unreachable.
import type { ResolvedAgentConfig } from '../../shared/agent_config.ts';
import { AppError } from '../../shared/errors.ts';
import { cacheKey } from '../config/cached_config_source.ts';
import { isNotOlder, sameResolution } from '../config/change_matching.ts';
import { type ConfigLogger, defaultConfigLogger, errorFields } from '../config/config_log.ts';
import type { ConfigListener, ConfigSource, ResolvedCallConfig } from '../config/types.ts';
import type { HubClient } from './hub_client.ts';
import type { WireResolution } from './protocol.ts';

export interface HubConfigSourceOptions {
  /**
   * How long a resolve waits for the hub, in ms: the hub's own database wait (2 500) plus the
   * local round trip. Default 3 000.
   */
  resolveTimeoutMs?: number;
  logger?: ConfigLogger;
}

export const DEFAULT_HUB_RESOLVE_TIMEOUT_MS = 3_000;

export class HubConfigSource implements ConfigSource {
  readonly stats = { hubResolves: 0, lastKnownAnswers: 0, changesApplied: 0 };
  readonly #client: HubClient;
  readonly #timeoutMs: number;
  readonly #log: ConfigLogger;
  /** The resolutions this process has had: its call's numbers only. */
  readonly #known = new Map<string, ResolvedAgentConfig>();
  readonly #watchers = new Map<string, Set<ConfigListener>>();

  constructor(client: HubClient, options: HubConfigSourceOptions = {}) {
    this.#client = client;
    this.#timeoutMs = options.resolveTimeoutMs ?? DEFAULT_HUB_RESOLVE_TIMEOUT_MS;
    this.#log = options.logger ?? defaultConfigLogger('config_hub');
    client.onChange((number, resolved) => this.#apply(number, resolved));
    client.onConnect(() => void this.#catchUp());
  }

  /** Numbers whose resolution this process holds (for tests: idle processes hold none). */
  get heldNumbers(): number {
    return this.#known.size;
  }

  /** Connects to the hub; resolves either way (an unreachable hub is retried in the background). */
  async start(): Promise<void> {
    if (!(await this.#client.connect()))
      this.#log.warn({}, 'worker hub unreachable at start: retrying in the background');
  }

  async resolve(dialedNumber: string): Promise<ResolvedCallConfig> {
    const key = cacheKey(dialedNumber);
    try {
      const answer = (await this.#client.request({ t: 'resolve', number: key }, this.#timeoutMs)) as WireResolution;
      this.stats.hubResolves += 1;
      this.#apply(key, answer.resolved);
      return { resolved: this.#known.get(key) ?? answer.resolved, origin: answer.origin };
    } catch (error) {
      const known = this.#known.get(key);
      if (known) {
        this.stats.lastKnownAnswers += 1;
        this.#log.warn(
          {
            ...errorFields(error),
            'pii.dialed_number': key,
            config_id: known.config?.id ?? null,
            version: known.config?.version ?? null,
          },
          "worker hub or database unreachable: answering with the call's last known config",
        );
        return { resolved: known, origin: 'last_known' };
      }
      throw error instanceof AppError
        ? error
        : new AppError('unavailable', 'The worker hub is unreachable and this number has no last known config.', {
            cause: error,
            retryable: true,
          });
    }
  }

  watch(dialedNumber: string, listener: ConfigListener): () => void {
    const key = cacheKey(dialedNumber);
    let set = this.#watchers.get(key);
    if (!set) {
      this.#watchers.set(key, (set = new Set()));
      this.#client.send({ t: 'watch', number: key });
    }
    set.add(listener);
    return () => {
      set.delete(listener);
      if (set.size > 0 || this.#watchers.get(key) !== set) return;
      this.#watchers.delete(key);
      this.#client.send({ t: 'unwatch', number: key });
    };
  }

  async close(): Promise<void> {
    this.#watchers.clear();
    this.#client.close();
  }

  /** A newer resolution of a number this process holds: kept, and given to its watchers. */
  #apply(key: string, resolved: ResolvedAgentConfig): void {
    const current = this.#known.get(key);
    if (current && (!isNotOlder(resolved, current) || sameResolution(current, resolved))) return;
    this.#known.set(key, resolved);
    if (!current) return;
    this.stats.changesApplied += 1;
    for (const listener of [...(this.#watchers.get(key) ?? [])]) {
      try {
        listener(resolved);
      } catch (error) {
        this.#log.error({ ...errorFields(error) }, 'config listener threw');
      }
    }
  }

  /** After a (re)connect: watch again, and fetch what may have changed while the hub was away. */
  async #catchUp(): Promise<void> {
    for (const key of this.#watchers.keys()) this.#client.send({ t: 'watch', number: key });
    await Promise.all(
      [...this.#watchers.keys()].map((key) =>
        this.#client.request({ t: 'resolve', number: key }, this.#timeoutMs).then(
          (answer) => this.#apply(key, (answer as WireResolution).resolved),
          (error: unknown) =>
            this.#log.warn(
              { ...errorFields(error) },
              'could not refresh a watched config after reconnecting to the worker hub',
            ),
        ),
      ),
    );
  }
}
