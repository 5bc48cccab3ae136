// The worker's two framework hooks. prewarm runs once per job process before any call: it parses
// the environment, starts the config source (change delivery live), preloads its cache with the
// numbers that have a config and loads Silero, so the call a process gets (job processes are
// one-shot) resolves its config from the cache. entry runs per call: it waits for the SIP
// participant, reads its attributes and hands the call to runCall.
import { type JobContext, type JobProcess, log, type VAD } from '@livekit/agents';
import * as silero from '@livekit/agents-plugin-silero';
import { ParticipantKind } from '@livekit/rtc-node';
import { errorMessage } from '../shared/errors.ts';
import type { CallStore, ConfigSource } from './config/types.ts';
import { DurableWrites } from './store/durable_writes.ts';
import type { CachedConfigSource } from './config/cached_config_source.ts';
import { createCallStore, createConfigSource } from './config/create_config_source.ts';
import { liveKitCallControls } from './call/call_controls.ts';
import { withinMs } from './call/provider_deadlines.ts';
import { createProviders } from './call/providers.ts';
import { type CallDependencies, type CallInfo, type RunningCall, runCall } from './call/run_call.ts';
import { loadWorkerEnv, type WorkerEnv } from './env.ts';
import { connectToHub } from './host/job_hub.ts';

export interface WorkerProcessData extends Record<string, unknown> {
  env: WorkerEnv;
  configSource: ConfigSource;
  callStore: CallStore;
  /** The process's write queue: what the database could not take yet outlives the call. */
  callWrites: DurableWrites;
  vad: VAD;
}

/**
 * How long prewarm waits for the config source to start and its preload to finish, in ms. The
 * framework fails a process whose prewarm takes over 10 s (initializeProcessTimeout); a preload
 * still running then goes on in the background, and its numbers are cache hits once loaded.
 */
export const PREWARM_CONFIG_BUDGET_MS = 6_000;

export async function prewarm(
  proc: JobProcess<Record<string, unknown>>,
  env: WorkerEnv = loadWorkerEnv(),
): Promise<void> {
  // Main runs the hub (agent/host/) and set WORKER_HUB_SOCKET: no connection and no preload here.
  if (env.host.hubSocket) {
    const callWrites = new DurableWrites({ maxPending: env.callRecords.maxPendingWrites, logger: log() });
    const [vad, hub] = await Promise.all([silero.VAD.load(), connectToHub(env, env.host.hubSocket)]);
    Object.assign(proc.userData, { env, ...hub, callWrites, vad } satisfies WorkerProcessData);
    return;
  }
  const configSource = createConfigSource(env.backend, { reconcileIntervalMs: env.host.reconcileIntervalMs });
  const callStore = createCallStore(env.backend, { timeoutMs: env.callRecords.dbTimeoutMs });
  const callWrites = new DurableWrites({ maxPending: env.callRecords.maxPendingWrites, logger: log() });
  const [vad] = await Promise.all([silero.VAD.load(), warmConfig(configSource, PREWARM_CONFIG_BUDGET_MS)]);
  Object.assign(proc.userData, { env, configSource, callStore, callWrites, vad } satisfies WorkerProcessData);
}

/** Starts the source and preloads its cache, waiting at most budgetMs (the preload then continues). */
async function warmConfig(configSource: CachedConfigSource, budgetMs: number): Promise<void> {
  const deadline = performance.now() + budgetMs;
  await configSource.start();
  const preload = configSource.preload();
  const outcome = await withinMs(preload, Math.max(0, deadline - performance.now()));
  if (outcome === 'timeout')
    log().warn(
      { budget_ms: budgetMs },
      'config preload still running after the prewarm budget; continuing in the background',
    );
}

/** The SIP attributes LiveKit sets on the caller (livekit.md §3.6). */
export function callInfoFrom(roomName: string, attributes: Record<string, string>): CallInfo {
  const value = (key: string) => (attributes[key] ? attributes[key] : null);
  return {
    roomName,
    callId: value('sip.callID'),
    dialedNumber: value('sip.trunkPhoneNumber'),
    callerNumber: value('sip.phoneNumber'),
    trunkId: value('sip.trunkID'),
    dispatchRuleId: value('sip.ruleID'),
  };
}

export async function entry(ctx: JobContext<Record<string, unknown>>): Promise<void> {
  const data = ctx.proc.userData as WorkerProcessData;
  const logger = log().child({ room: ctx.room.name });
  await ctx.connect();
  const caller = await ctx.waitForParticipant();
  if (caller.kind !== ParticipantKind.SIP)
    logger.warn({ kind: caller.kind }, 'first participant is not a SIP caller; answering anyway');
  const info = callInfoFrom(ctx.room.name ?? ctx.job.room?.name ?? '', caller.attributes);
  logger.info(
    { callId: info.callId, 'pii.dialed': info.dialedNumber, 'pii.caller': info.callerNumber },
    'call arrived',
  );
  const controls = liveKitCallControls({
    api: data.env.livekit,
    roomName: info.roomName,
    participantIdentity: caller.identity,
    onError: (_what, error) => logger.error({ err: errorMessage(error) }, 'could not delete the room to hang up'),
  });
  let call;
  try {
    call = await runCall(info, callDependencies(data, controls, logger), {
      room: ctx.room,
      participantIdentity: caller.identity,
      deadlines: data.env.deadlines,
      analysis: { timeoutMs: data.env.analysisTimeoutMs },
    });
  } catch (error) {
    // Nothing can talk to the caller: hang up rather than leave them in silence.
    logger.error({ err: errorMessage(error) }, 'could not start the call; hanging up');
    await controls.hangUp();
    ctx.addShutdownCallback(() => flushCallWrites(data, logger));
    ctx.shutdown('call failed to start');
    return;
  }
  await untilCallEnds(ctx, call, data, logger);
}

/** What runCall needs from the job process: the host's config source and call store, its write queue, the providers. */
export function callDependencies(
  data: WorkerProcessData,
  controls: CallDependencies['controls'],
  logger: ReturnType<typeof log>,
): CallDependencies {
  return {
    configSource: data.configSource,
    callStore: data.callStore,
    callWrites: data.callWrites,
    providers: createProviders(data.env.providers, { vad: data.vad }),
    controls,
    logger,
  };
}

/**
 * Holds the job until its call ends, then shuts the job down. The call ended, the worker is
 * draining or the job was cancelled: the shutdown ends the call cleanly and records it, lets the
 * post-call analysis finish (bounded by ANALYSIS_TIMEOUT_MS), then stays until the queued writes
 * are in the database (or the flush budget is spent).
 */
export async function untilCallEnds(
  ctx: JobContext<Record<string, unknown>>,
  call: RunningCall,
  data: WorkerProcessData,
  logger: ReturnType<typeof log>,
): Promise<void> {
  ctx.addShutdownCallback(async () => {
    await call.end('worker_shutdown');
    await call.finished;
    await call.analyzed;
    await flushCallWrites(data, logger);
  });
  await call.finished;
  ctx.shutdown('call ended');
}

/**
 * Keeps the one-shot job process alive until the database has every write of its call, for at
 * most CALL_WRITES_FLUSH_MS. Past that (or if the process dies), a row whose start was written is
 * closed by the sweep; a start never written is lost, and logged here.
 */
async function flushCallWrites(data: WorkerProcessData, logger: ReturnType<typeof log>): Promise<void> {
  const { callWrites, env } = data;
  if (callWrites.pending === 0) return;
  logger.warn(
    { pending: callWrites.pending, flush_ms: env.callRecords.flushMs },
    "waiting for the database to take the call's queued writes",
  );
  if (await callWrites.drain(env.callRecords.flushMs)) return;
  logger.error(
    { pending: callWrites.pending },
    'gave up waiting for the database: queued call writes are lost with this process',
  );
}
