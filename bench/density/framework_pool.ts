// The framework's own process model, driven without a LiveKit server: what AgentServer builds in
// its constructor (@livekit/agents 1.9.0 src/worker.ts), done here by hand.
//   1. the local end-of-turn runner registered (worker.ts maybeRegisterLocalEotRunner, not exported),
//   2. InferenceProcExecutor.createIfNeeded(): the one inference process per host, started and
//      initialized as AgentServer.run does,
//   3. ProcPool (dist/ipc/proc_pool.js) with the agent file, numIdleProcesses, timeouts and memory
//      limits from ServerOptions; pool.launchJob() with a RunningJobInfo marked fakeJob (no room),
//      as the worker does on an accepted job: a warm process from the pool gets startJobRequest
//      and runs entry, one job per process, then exits.
// The package's "exports" map exposes only its index, so the two internal modules are imported by
// their file URL next to the index; ESM caches by URL, so they are the instances the index uses.
import { InferenceRunner } from '@livekit/agents';

/** The local audio end-of-turn method (src/inference/eot/runner.ts EOT_INFERENCE_METHOD). */
const EOT_INFERENCE_METHOD = 'lk_eot_audio';

interface Executor {
  start(): Promise<void>;
  initialize(opts?: unknown): Promise<void>;
  close(): Promise<void>;
}

export interface PoolOptions {
  agentFile: string;
  numIdleProcesses: number;
  /** ServerOptions.jobMemoryLimitMB: SIGKILL a job process above it; 0 = off. */
  memoryLimitMB: number;
  /** ServerOptions.jobMemoryWarnMB. */
  memoryWarnMB: number;
  inference: Executor | undefined;
}

export interface JobPool {
  launchJob(info: unknown): Promise<void>;
  close(): Promise<void>;
  /** Warm processes waiting for a job. */
  readonly warmCount: number;
}

const indexUrl = import.meta.resolve('@livekit/agents');
const internal = <T>(relative: string) => import(new URL(relative, indexUrl).href) as Promise<T>;

/** Starts the host's inference process with the end-of-turn model loaded (as AgentServer.run). */
export async function startInferenceProcess(): Promise<Executor> {
  if (!InferenceRunner.registeredRunners[EOT_INFERENCE_METHOD])
    InferenceRunner.registerRunner(EOT_INFERENCE_METHOD, new URL('./inference/eot/runner.js', indexUrl).href);
  const { InferenceProcExecutor } = await internal<{ InferenceProcExecutor: { createIfNeeded(): Executor } }>(
    './ipc/inference_proc_executor.js',
  );
  const executor = InferenceProcExecutor.createIfNeeded();
  await executor.start();
  await executor.initialize();
  return executor;
}

export async function startJobPool(options: PoolOptions): Promise<JobPool> {
  type Pool = JobPool & { start(): void; warmedProcQueue: { items: unknown[] } };
  const { ProcPool } = await internal<{ ProcPool: new (opts: Record<string, unknown>) => Pool }>('./ipc/proc_pool.js');
  const pool = new ProcPool({
    agent: options.agentFile,
    numIdleProcesses: options.numIdleProcesses,
    initializeTimeout: 10_000, // ServerOptions.initializeProcessTimeout default
    closeTimeout: 20_000, // shutdownProcessTimeout (60 s by default): the bench waits less for a stuck job
    sessionEndTimeout: 30_000,
    inferenceExecutor: options.inference,
    memoryWarnMB: options.memoryWarnMB,
    memoryLimitMB: options.memoryLimitMB,
  });
  pool.start();
  return {
    launchJob: (info) => pool.launchJob(info),
    close: () => pool.close(),
    get warmCount() {
      return pool.warmedProcQueue.items.length;
    },
  };
}

/**
 * A job as the worker receives it from LiveKit, for a call with no room behind it. Recording off,
 * as a self-hosted LiveKit server dispatches jobs: left unset, AgentSession would record every
 * call's audio and traces (resolveRecordingOptions(undefined) is all on), which costs CPU.
 */
export function fakeRunningJob(id: string, roomName: string, metadata: string): unknown {
  return {
    acceptArguments: { name: '', identity: `agent-${id}`, metadata: '' },
    job: {
      id,
      type: 0,
      room: { name: roomName, sid: `RM_${id}` },
      metadata,
      dispatchId: '',
      agentName: '',
      enableRecording: false,
    },
    url: '',
    token: '',
    workerId: 'density-bench',
    fakeJob: true,
  };
}
