// The CallStore of a job process when its worker runs a hub. It sits under the job's own durable
// queue (agent/store/durable_writes.ts), which keeps every write until one attempt succeeds:
//   - hub reachable: the attempt is a request to the hub, answered once the hub has committed the
//     write (the hub queues and retries it meanwhile, idempotent by call id). A hub that takes too
//     long or goes away mid-request fails the attempt with a retryable error: the job's queue
//     still holds the write and sends it again.
//   - hub unreachable: the attempt goes straight to the database through a store of the job's
//     own, opened on first use (one connection), so nothing waits on a main process that is gone.
// Either way a write is lost only if both the job process and the database are gone for good.
import type { CallCompletion, CallStart } from '../store/call_rows.ts';
import type { CallAnalysisRow, CallMessageRow, CallTurnRow } from '../store/call_outcomes.ts';
import { type CallStore, DEFAULT_CALL_STORE_TIMEOUT_MS } from '../store/call_store.ts';
import type { HubClient } from './hub_client.ts';
import type { HubStoreOp } from './protocol.ts';

export interface HubCallStoreOptions {
  /** Opens the job's own store, used only while the hub is unreachable. */
  direct: () => CallStore;
  /**
   * How long one attempt through the hub may wait for its commit, in ms; then the job's queue
   * tries again. Default 10 000.
   */
  writeTimeoutMs?: number;
  /** Deadline of a heartbeat or voice report through the hub, in ms. Default DEFAULT_CALL_STORE_TIMEOUT_MS + 1 000. */
  requestTimeoutMs?: number;
}

export const DEFAULT_HUB_WRITE_TIMEOUT_MS = 10_000;

export class HubCallStore implements CallStore {
  readonly stats = { throughHub: 0, direct: 0 };
  readonly #client: HubClient;
  readonly #options: Required<HubCallStoreOptions>;
  #direct: CallStore | undefined;

  constructor(client: HubClient, options: HubCallStoreOptions) {
    this.#client = client;
    this.#options = {
      writeTimeoutMs: DEFAULT_HUB_WRITE_TIMEOUT_MS,
      requestTimeoutMs: DEFAULT_CALL_STORE_TIMEOUT_MS + 1_000,
      ...options,
    };
  }

  recordCall(callId: string, start: CallStart, end?: CallCompletion): Promise<string> {
    return this.#write('recordCall', [callId, start, end ?? null], (s) =>
      s.recordCall(callId, start, end),
    ) as Promise<string>;
  }

  heartbeat(callId: string): Promise<boolean> {
    return this.#forward('heartbeat', [callId], (s) => s.heartbeat(callId)) as Promise<boolean>;
  }

  /** The hub's main process sweeps; a job never needs to, so this always goes direct. */
  sweepLostCalls(lapseMs: number, options?: { dryRun?: boolean }): Promise<number> {
    return this.#directStore().sweepLostCalls(lapseMs, options);
  }

  async recordTurns(callId: string, turns: readonly CallTurnRow[]): Promise<void> {
    await this.#write('recordTurns', [callId, turns], (s) => s.recordTurns(callId, turns));
  }

  recordMessage(callId: string, message: CallMessageRow): Promise<string> {
    return this.#write('recordMessage', [callId, message], (s) => s.recordMessage(callId, message)) as Promise<string>;
  }

  async recordAnalysis(callId: string, analysis: CallAnalysisRow): Promise<void> {
    await this.#write('recordAnalysis', [callId, analysis], (s) => s.recordAnalysis(callId, analysis));
  }

  async reportVoiceNotFound(agentConfigId: string, voiceId: string, source: string): Promise<void> {
    await this.#forward('reportVoiceNotFound', [agentConfigId, voiceId, source], (s) =>
      s.reportVoiceNotFound(agentConfigId, voiceId, source),
    );
  }

  async close(): Promise<void> {
    await this.#direct?.close?.();
  }

  #write(op: HubStoreOp, args: unknown[], direct: (store: CallStore) => Promise<unknown>): Promise<unknown> {
    return this.#via(op, args, direct, this.#options.writeTimeoutMs);
  }

  #forward(op: HubStoreOp, args: unknown[], direct: (store: CallStore) => Promise<unknown>): Promise<unknown> {
    return this.#via(op, args, direct, this.#options.requestTimeoutMs);
  }

  async #via(
    op: HubStoreOp,
    args: unknown[],
    direct: (store: CallStore) => Promise<unknown>,
    timeoutMs: number,
  ): Promise<unknown> {
    if (await this.#client.connect()) {
      this.stats.throughHub += 1;
      return this.#client.request({ t: 'store', op, args }, timeoutMs);
    }
    this.stats.direct += 1;
    return direct(this.#directStore());
  }

  #directStore(): CallStore {
    this.#direct ??= this.#options.direct();
    return this.#direct;
  }
}
