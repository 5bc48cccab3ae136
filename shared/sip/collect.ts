// Takes a live snapshot: LiveKit's trunks and rules, the worker's health answers and the
// database rows, all at once (each with its own timeout), so the doctor costs one round trip.
// Runtime-neutral (fetch, timers, livekit-server-sdk): the CLI and the sip-status function
// both use it. A part that cannot be read becomes { status: 'unknown', reason }, never a throw.
import { SipClient } from 'livekit-server-sdk';
import { DeadlineExceeded, withTimeout } from '../deadline.ts';
import { classifyLiveKitError } from './livekit_errors.ts';
import { redactSecrets } from './snapshot.ts';
import type {
  DatabasePart,
  DispatchRule,
  InboundTrunk,
  LiveKitPart,
  ProviderKeys,
  SipSnapshot,
  WorkerInfo,
  WorkerPart,
} from './types.ts';

export const DEFAULT_WORKER_HEALTH_URL = 'http://127.0.0.1:8081';
export const DEFAULT_TIMEOUT_MS = 5_000;

export interface LiveKitAccess {
  /** LIVEKIT_URL: https://, http://, wss:// or ws://. */
  host: string;
  apiKey: string;
  apiSecret: string;
}

export interface CollectOptions {
  livekit: LiveKitAccess;
  /** Per part (LiveKit, worker, database), in ms. */
  timeoutMs?: number;
  workerUrl?: string;
  /** Reads phone_numbers and open config_issues; omitted: the database part is unknown with `databaseMissing`. */
  readDatabase?: () => Promise<Omit<Extract<DatabasePart, { status: 'ok' }>, 'status'>>;
  databaseMissing?: string;
  /** null when this process does not share the worker's environment (the edge function). */
  providerKeys: ProviderKeys | null;
  expectedAgentName: string;
  desired: SipSnapshot['desired'];
  /** Set: LiveKit is not called and its part is unknown with this reason (e.g. missing credentials). */
  skipLiveKit?: string | undefined;
  now?: () => Date;
}

export function sipClient(access: LiveKitAccess, timeoutMs: number): SipClient {
  return new SipClient(access.host, access.apiKey, access.apiSecret, { requestTimeout: timeoutMs / 1000 });
}

export async function collectSnapshot(options: CollectOptions): Promise<SipSnapshot> {
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const [livekit, worker, database] = await Promise.all([
    options.skipLiveKit
      ? ({ status: 'unknown', reason: options.skipLiveKit } as const)
      : readLiveKit(options.livekit, timeoutMs),
    readWorker(options.workerUrl ?? DEFAULT_WORKER_HEALTH_URL, timeoutMs),
    readDatabase(options, timeoutMs),
  ]);
  return {
    version: 1,
    takenAt: (options.now?.() ?? new Date()).toISOString(),
    expectedAgentName: options.expectedAgentName,
    desired: options.desired,
    livekit,
    database,
    worker,
    providerKeys: options.providerKeys,
  };
}

/** Trunks and rules (passwords redacted), or why they could not be read. */
export async function readLiveKit(access: LiveKitAccess, timeoutMs: number): Promise<LiveKitPart> {
  try {
    const sip = sipClient(access, timeoutMs);
    const [trunks, rules] = await withTimeout(Promise.all([sip.listSipInboundTrunk(), sip.listSipDispatchRule()]), {
      timeoutMs,
    });
    return {
      status: 'ok',
      trunks: trunks.map((t) => redactSecrets(t.toJson() as InboundTrunk)),
      rules: rules.map((r) => r.toJson() as DispatchRule),
    };
  } catch (error) {
    return {
      status: 'unknown',
      reason: classifyLiveKitError(error, { host: access.host, timeoutMs, action: 'list trunks and rules' }).line,
    };
  }
}

export async function readWorker(url: string, timeoutMs: number): Promise<WorkerPart> {
  const base = url.replace(/\/+$/, '');
  try {
    const [health, info] = await Promise.all([
      fetch(`${base}/`, { signal: AbortSignal.timeout(timeoutMs) }),
      fetch(`${base}/worker`, { signal: AbortSignal.timeout(timeoutMs) }),
    ]);
    const body = (await health.text()).slice(0, 500);
    let workerInfo: WorkerInfo | null = null;
    if (info.ok) {
      const parsed = (await info.json().catch(() => null)) as WorkerInfo | null;
      workerInfo = parsed && typeof parsed.agent_name === 'string' ? parsed : null;
    } else {
      await info.body?.cancel();
    }
    return { status: 'ok', url: base, health: { httpStatus: health.status, body }, info: workerInfo };
  } catch (error) {
    const e = error as { name?: string; message?: string; cause?: { code?: string } };
    const reason =
      e.name === 'TimeoutError' || e.name === 'AbortError'
        ? `no answer within ${timeoutMs} ms`
        : (e.cause?.code ?? e.message ?? String(error));
    return { status: 'unknown', url: base, reason };
  }
}

async function readDatabase(options: CollectOptions, timeoutMs: number): Promise<DatabasePart> {
  if (!options.readDatabase) return { status: 'unknown', reason: options.databaseMissing ?? 'no database configured' };
  try {
    return { status: 'ok', ...(await withTimeout(options.readDatabase(), { timeoutMs })) };
  } catch (error) {
    const e = error as { message?: string };
    const reason =
      error instanceof DeadlineExceeded
        ? `no answer within ${timeoutMs} ms`
        : (e.message ?? String(error)).split('\n')[0]!;
    return { status: 'unknown', reason };
  }
}
