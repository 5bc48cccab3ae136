// `npm run bench:density`: how many concurrent calls one worker host carries, and what Switchboard
// costs on top of a bare LiveKit pipeline (issue 13 §3).
//
// Each call is a real job process of the framework: this process does what `cli.runApp` →
// AgentServer does on a host (bench/density/framework_pool.ts): it registers the local end-of-turn
// runner and starts the one inference process (InferenceProcExecutor.createIfNeeded), then runs
// the framework's ProcPool (dist/ipc/proc_pool.js) with the agent file, which forks and warms
// idle processes (prewarm) and gives each launched job (a RunningJobInfo with fakeJob: true, as
// the framework's console mode builds, recording off) to one process, which runs entry; the pool's
// pings, memory supervision and shutdown are the framework's own. No LiveKit server: each
// call's audio comes from the caller's sentences (eSpeak NG) through Silero VAD and the turn
// detector in real time, and replies go to an output that plays them in real time. The media
// transport (WebRTC, Opus, the room) is not in this bench.
//   switchboard: bench/density/switchboard_agent.ts: agent/job.ts prewarm (hub connection, Silero)
//                and entry's path from the SIP attributes on (runCall, call records, transcript),
//                with the hub and its Postgres (embedded) in this process as agent/main.ts runs it.
//   bare:        bench/density/bare_agent.ts: one AgentSession, same plugins and fakes, fixed
//                instructions, no database, no config, no hot reload.
// Providers are faked in their own process (bench/density/fakes_process.ts): Deepgram's final
// 150 ms after the end of speech, OpenAI's first token after 300 ms, ElevenLabs' first audio
// after 120 ms. Not counted in CPU and memory: the fakes' process and Postgres (remote in
// production). The machine's load average is printed with each step: other work on the host
// competes for the same cores.
//
//   npm run bench:density -- [--n 1,10,25,50,75] [--quick] [--turns 3] [--idle 2]
//                             [--memory-limit-mb 0] [--only switchboard|bare] [--verbose]
import { availableParallelism, totalmem } from 'node:os';
import { parseArgs } from 'node:util';
import { initializeLogger } from '@livekit/agents';
import { startBenchWorld } from './density/bench_world.ts';
import { withinMs } from './density/deadline.ts';
import { startInferenceProcess } from './density/framework_pool.ts';
import { loadAverage, memAvailableMb } from './density/proc_stats.ts';
import {
  DESIGN_WAIT_MS,
  figures,
  HELD_DESIGN_WAIT_MS,
  printStep,
  hostLimits,
  type StepFigures,
  TARGETS,
  TIMING,
} from './density/report.ts';
import { type Pipeline, runStep } from './density/run_step.ts';

/** Silence after each caller sentence: the reply's latency (~0.7 s) and its 1.6 s of audio fit. */
const GAP_MS = 4_500;

function options() {
  const { values } = parseArgs({
    options: {
      n: { type: 'string' },
      quick: { type: 'boolean', default: false },
      turns: { type: 'string' },
      idle: { type: 'string' },
      'memory-limit-mb': { type: 'string', default: '0' },
      only: { type: 'string' },
      verbose: { type: 'boolean', default: false },
    },
  });
  const cores = availableParallelism();
  const steps = (values.n ?? (values.quick ? '1,10' : '1,10,25,50,75,100')).split(',').map(Number);
  if (steps.some((n) => !Number.isInteger(n) || n < 1)) throw new Error('--n takes whole numbers ≥ 1, e.g. 1,10,25');
  const pipelines: Pipeline[] = values.only ? [values.only as Pipeline] : ['switchboard', 'bare'];
  return {
    cores,
    steps,
    turns: Number(values.turns ?? (values.quick ? 2 : 3)),
    // The framework's production default (ServerOptions.numIdleProcesses under `start`).
    idle: Number(values.idle ?? Math.min(cores, 4)),
    memoryLimitMB: Number(values['memory-limit-mb']),
    pipelines,
    /** The framework's warnings (slow pings, process init failures) and ours. */
    logLevel: values.verbose ? ('warn' as const) : ('fatal' as const),
  };
}

async function main(): Promise<void> {
  const opts = options();
  initializeLogger({ pretty: false, level: opts.logLevel });
  console.log(
    `density bench: ${opts.cores} cores, ${(totalmem() / 2 ** 30).toFixed(1)} GiB, load average ${loadAverage()}; steps N = ${opts.steps.join(', ')}; ${opts.turns} turns per call per window; idle processes ${opts.idle}; jobMemoryLimitMB ${opts.memoryLimitMB}`,
  );
  console.log(
    [
      `own overhead = turn latency (first agent audio − end of the caller's sentence) − the designed waits on its critical path, ${DESIGN_WAIT_MS} ms:`,
      `  max(Silero silence ${TIMING.vadSilenceMs}, endpointing minDelay ${TIMING.endpointingMinDelayMs}, Deepgram final ${TIMING.sttFinalMs}) + OpenAI first token ${TIMING.llmFirstTokenMs} + ElevenLabs first audio ${TIMING.ttsFirstByteMs}`,
      '  (no preemptive generation: the framework starts it on a final transcript only with VAD or STT turn detection);',
      `  a turn the end-of-turn model held (its end-of-utterance delay > 1.5 s): maxDelay ${TIMING.endpointingMaxDelayMs} + ${TIMING.llmFirstTokenMs} + ${TIMING.ttsFirstByteMs} = ${HELD_DESIGN_WAIT_MS} ms;`,
      "  the same definition for both pipelines; it includes the framework's own work (end-of-turn inference, plugins, audio path)",
    ].join('\n'),
  );
  console.log('not in this bench: the media transport (WebRTC, Opus, the LiveKit room)');
  const world = await startBenchWorld(Math.max(...opts.steps));
  const inference = await withinMs(startInferenceProcess(), 120_000, 'starting the inference process');
  // Interrupted: stop Postgres, the fakes and the inference process (job processes left without
  // main's pings shut themselves down after 15 s).
  const interrupted = () => {
    console.error('bench: interrupted, cleaning up');
    void Promise.allSettled([withinMs(inference.close(), 10_000, 'inference'), world.close()]).then(() =>
      process.exit(130),
    );
  };
  process.once('SIGINT', interrupted);
  process.once('SIGTERM', interrupted);
  const sentenceMs = world.sentenceMs.reduce((a, b) => a + b, 0) / world.sentenceMs.length;
  const windowMs = Math.round(opts.turns * (sentenceMs + GAP_MS) + 4_000);
  const results: Row[] = [];
  let step = 0;
  // Each pipeline steps up until it breaks; the other goes on alone.
  const running = new Set<Pipeline>(opts.pipelines);
  try {
    for (const calls of opts.steps) {
      if (running.size === 0) break;
      const row: Row = { calls, sw: null, bare: null };
      const broken: string[] = [];
      for (const pipeline of opts.pipelines.filter((p) => running.has(p))) {
        if (memAvailableMb() < 2_048) throw new Error('less than 2 GiB of memory available: stopping');
        const stepOptions = {
          pipeline,
          calls,
          idleProcesses: opts.idle,
          memoryLimitMB: opts.memoryLimitMB,
          windowMs,
          gapMs: GAP_MS,
          inference,
        };
        const key = pipeline === 'switchboard' ? 'sw' : 'bare';
        try {
          row[key] = figures(await runStep(world, stepOptions, step++), opts.cores);
        } catch (error) {
          // The host could not run N calls at all (e.g. no warm process within the deadline): that is the break.
          running.delete(pipeline);
          const why = error instanceof Error ? error.message : String(error);
          console.log(`\nbreak at N = ${calls}: ${pipeline}: ${why} (load average ${loadAverage()})`);
          continue;
        }
        const reason = breakReason(row[key], results[0]?.[key] ?? row[key]);
        if (reason) {
          running.delete(pipeline);
          broken.push(`${pipeline}: ${reason}`);
        }
      }
      if (row.sw || row.bare) {
        results.push(row);
        printStep(row.sw, row.bare);
      }
      for (const reason of broken) console.log(`\nbreak at N = ${calls}: ${reason}`);
    }
  } finally {
    await withinMs(inference.close(), 15_000, 'closing the inference process').catch(() => {});
    await world.close();
  }
  printSummary(results, opts.cores, opts.idle);
}

type Row = { calls: number; sw: StepFigures | null; bare: StepFigures | null };

/**
 * Where stepping up stops. Own overhead already includes the framework's own work at N = 1 (about
 * 100 ms on these machines, the bare pipeline's too), so its p99 counts as broken past 100 ms
 * absolute only while that baseline is below it, else past the first step's p99 + 100 ms.
 */
function breakReason(x: StepFigures, first: StepFigures): string | null {
  const limit = Math.max(TARGETS.breakOverheadP99Ms, first.overheadP99 + TARGETS.breakOverheadP99Ms);
  if (x.overheadP99 > limit) return `own overhead p99 ${x.overheadP99.toFixed(1)} ms > ${limit.toFixed(0)} ms`;
  if (x.totalRssMb > TARGETS.breakMemoryMb) return `RSS ${x.totalRssMb.toFixed(0)} MB > 20 GB`;
  if (x.unanswered > 0.05 * (x.turns + x.unanswered)) return `${x.unanswered} turns unanswered`;
  if (x.lost > 0) return `${x.lost} calls lost`;
  return null;
}

function printSummary(results: Row[], cores: number, idle: number): void {
  console.log('\nsummary');
  for (const [label, key] of [
    ['switchboard', 'sw'],
    ['bare', 'bare'],
  ] as const) {
    const measured = results.filter((r) => r[key]);
    if (measured.length === 0) continue;
    const ok = measured.filter((r) => r[key]!.overheadP99 <= TARGETS.overheadP99Ms && r[key]!.unanswered === 0);
    const last = measured.at(-1)![key]!;
    const limits = hostLimits(last, cores, idle);
    console.log(
      `  ${label.padEnd(12)} largest N measured: ${last.calls}; with own overhead p99 ≤ ${TARGETS.overheadP99Ms} ms: ${ok.at(-1)?.calls ?? 'none'}`,
    );
    console.log(
      `  ${''.padEnd(12)} at N = ${last.calls}'s figures the host carries about ${limits.cpuCalls.toFixed(0)} calls by CPU (${(limits.cpuCalls / cores).toFixed(1)} per core; target ${TARGETS.callsPerCore}) and ${limits.memoryCalls.toFixed(0)} by memory (20 GB)`,
    );
  }
  const pairs = results.filter((r) => r.sw && r.bare);
  const last = pairs.at(-1);
  if (last) {
    const ratio = hostLimits(last.sw!, cores, idle).cpuCalls / hostLimits(last.bare!, cores, idle).cpuCalls;
    const delta = last.sw!.overheadP99 - last.bare!.overheadP99;
    console.log(
      `  switchboard ÷ bare at N = ${last.calls}: density ${ratio.toFixed(2)} (target ≥ ${TARGETS.densityRatio}), own overhead p99 ${delta >= 0 ? '+' : ''}${delta.toFixed(1)} ms (target ≤ +${TARGETS.overheadDeltaMs})`,
    );
  }
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(`bench: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
  },
);
