// One step of the bench: N concurrent calls of one pipeline, each in its own job process from the
// framework's pool. The pool first warms its idle processes (measured: idle memory); the N calls
// are launched as the worker launches accepted jobs; once all are live and the pool has refilled
// its idle processes, the window opens: CPU and memory of every process, Postgres connections,
// and the turns whose sentence ended in the window. Then the pool closes, ending every call.
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { BenchWorld } from './bench_world.ts';
import { waitUntil, withinMs } from './deadline.ts';
import { fakeRunningJob, startJobPool } from './framework_pool.ts';
import type { DensityJobMeta } from './job_protocol.ts';
import { DENSITY_ENV } from './job_protocol.ts';
import { loadAverage, type ProcSample, sampleHost } from './proc_stats.ts';
import { readEvents, type TurnStats, turnsInWindow } from './turns.ts';

export type Pipeline = DensityJobMeta['pipeline'];

export interface StepOptions {
  pipeline: Pipeline;
  calls: number;
  idleProcesses: number;
  memoryLimitMB: number;
  /** How long the window lasts, in ms (several turns per call). */
  windowMs: number;
  gapMs: number;
  inference: Parameters<typeof startJobPool>[0]['inference'];
}

export interface StepResult {
  pipeline: Pipeline;
  calls: number;
  windowS: number;
  turns: TurnStats;
  /** CPU seconds per second, per process kind, over the window. */
  cpu: { main: number; inference: number; jobs: number; idle: number };
  /** The pool had not refilled its idle processes when the window opened. */
  warmingInWindow: boolean;
  idleJobRssMb: number[];
  end: ProcSample[];
  dbConnections: { before: number; after: number };
  /** Time from the first launch until every call was live. */
  rampS: number;
  loadAverage: string;
  /** Job processes that exited during the window (e.g. killed by jobMemoryLimitMB). */
  lostCalls: number;
  /** The job processes running a call (the others in `end` are idle). */
  activePids: number[];
  /** The framework's metrics reported in the window, by kind (ms). */
  metrics: Record<'eou' | 'transcription' | 'llm' | 'tts', number[]>;
}

const AGENT_FILES: Record<Pipeline, string> = {
  switchboard: fileURLToPath(new URL('./switchboard_agent.ts', import.meta.url)),
  bare: fileURLToPath(new URL('./bare_agent.ts', import.meta.url)),
};
const GREETING_LEAD_IN_MS = 3_000;
/** A sentence ending this close to the window's end may not have its reply yet: not counted. */
const REPLY_TAIL_MS = 4_000;
/** How long a launch may wait for a warm process; the framework gives each warm-up 10 s. */
const LAUNCH_DEADLINE_MS = 120_000;

export async function runStep(world: BenchWorld, options: StepOptions, step: number): Promise<StepResult> {
  const { pipeline, calls } = options;
  const resultsDir = path.join(world.workDir, `step-${step}-${pipeline}-${calls}`);
  mkdirSync(resultsDir);
  process.env[DENSITY_ENV.resultsDir] = resultsDir; // inherited by the processes the pool forks from now on
  const jobs = () => sampleHost().filter((s) => s.kind === 'job');

  const pool = await startJobPool({
    agentFile: AGENT_FILES[pipeline],
    numIdleProcesses: options.idleProcesses,
    memoryLimitMB: options.memoryLimitMB,
    memoryWarnMB: 0,
    inference: options.inference,
  });
  try {
    const warmMs = 20_000 + options.idleProcesses * 5_000;
    await waitUntil(
      () => pool.warmCount >= options.idleProcesses,
      warmMs,
      `warming ${options.idleProcesses} idle processes`,
    );
    const idleJobRssMb = jobs().map((s) => s.rssMb);

    const started = Date.now();
    for (let call = 0; call < calls; call++) {
      const dialed = world.numbers[call % world.numbers.length]!;
      const caller = '+15559870000';
      const room = await world.addRoom(dialed, caller);
      const meta: DensityJobMeta = {
        pipeline,
        call,
        calls,
        room,
        dialed,
        caller,
        gapMs: options.gapMs,
        leadInMs: GREETING_LEAD_IN_MS,
      };
      const info = fakeRunningJob(`AJ_${step}_${call}`, room, JSON.stringify(meta));
      await withinMs(pool.launchJob(info), LAUNCH_DEADLINE_MS, `launching call ${call + 1} of ${calls}`);
    }
    await waitUntil(
      () => readEvents(resultsDir).live.length >= calls,
      60_000 + calls * 2_000,
      `${calls} calls going live`,
    );
    const rampS = (Date.now() - started) / 1000;
    // The pool replaces each process that took a call; its warm-ups compete with the calls, so the
    // window waits for them (a while: on a saturated host they may not finish, which is reported).
    const refilled = await waitUntil(
      () => pool.warmCount >= options.idleProcesses,
      20_000 + options.idleProcesses * 3_000,
      'refilling the idle processes',
    ).then(
      () => true,
      () => false,
    );
    const activePids = new Set(readEvents(resultsDir).live.map((l) => l.pid));

    const dbBefore = await world.dbConnections();
    const before = sampleHost();
    const from = Date.now();
    await new Promise((resolve) => setTimeout(resolve, options.windowMs));
    const to = Date.now();
    const end = sampleHost();
    const dbAfter = await world.dbConnections();
    const windowS = (to - from) / 1000;

    // Calls: the job processes running one. Idle: the others (warm, or warming up in the window).
    const cpu = { main: 0, inference: 0, jobs: 0, idle: 0 };
    const beforeByPid = new Map(before.map((s) => [s.pid, s]));
    for (const s of end) {
      const used = (s.cpuS - (beforeByPid.get(s.pid)?.cpuS ?? 0)) / windowS;
      if (s.kind !== 'job') cpu[s.kind] += used;
      else if (activePids.has(s.pid)) cpu.jobs += used;
      else cpu.idle += used;
    }
    const endPids = new Set(end.map((s) => s.pid));
    const lostCalls = [...activePids].filter((pid) => !endPids.has(pid)).length;
    const events = readEvents(resultsDir);
    const turns = turnsInWindow(events, from, to - REPLY_TAIL_MS);
    return {
      pipeline,
      calls,
      windowS,
      turns,
      cpu,
      idleJobRssMb,
      end,
      dbConnections: { before: dbBefore, after: dbAfter },
      rampS,
      loadAverage: loadAverage(),
      lostCalls,
      warmingInWindow: !refilled,
      activePids: [...activePids],
      metrics: {
        eou: events.metric.filter((m) => m.kind === 'eou').map((m) => m.ms),
        transcription: events.metric.filter((m) => m.kind === 'eou').map((m) => m.extraMs ?? Number.NaN),
        llm: events.metric.filter((m) => m.kind === 'llm').map((m) => m.ms),
        tts: events.metric.filter((m) => m.kind === 'tts').map((m) => m.ms),
      },
    };
  } finally {
    await withinMs(pool.close(), 60_000, `closing the ${pipeline} pool`).catch((error: unknown) =>
      console.error(`bench: ${error instanceof Error ? error.message : String(error)}`),
    );
  }
}
