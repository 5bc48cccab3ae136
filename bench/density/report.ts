// The bench's figures, per step, Switchboard and the bare pipeline side by side, with the targets.
import { percentile } from '../_database.ts';
import type { StepResult } from './run_step.ts';

/**
 * What a turn waits for by design, subtracted from its latency to give our own overhead (the same
 * for both pipelines). The critical path from the end of the caller's sentence to the first audio,
 * with the streaming (audio) turn detector of @livekit/agents 1.9.0: the turn is committed after
 * Silero's silence window (550 ms), which hides Deepgram's final (150 ms) and the endpointing
 * minDelay (300 ms, counted from the same end of speech); only then does the LLM start (the
 * framework starts preemptive generation on a final transcript only with VAD or STT turn
 * detection, audio_recognition.ts), first token 300 ms; then ElevenLabs' first audio, 120 ms.
 */
export const TIMING = {
  vadSilenceMs: 550,
  endpointingMinDelayMs: 300,
  endpointingMaxDelayMs: 2_500,
  sttFinalMs: 150,
  llmFirstTokenMs: 300,
  ttsFirstByteMs: 120,
} as const;
export const DESIGN_WAIT_MS =
  Math.max(TIMING.vadSilenceMs, TIMING.endpointingMinDelayMs, TIMING.sttFinalMs) +
  TIMING.llmFirstTokenMs +
  TIMING.ttsFirstByteMs;
/** A turn the end-of-turn model held waits for the endpointing maxDelay instead. */
export const HELD_DESIGN_WAIT_MS = TIMING.endpointingMaxDelayMs + TIMING.llmFirstTokenMs + TIMING.ttsFirstByteMs;

export const TARGETS = {
  overheadP99Ms: 50,
  /** Stop stepping up when own overhead p99 passes this, or passes the first step's by this much. */
  breakOverheadP99Ms: 100,
  breakMemoryMb: 20 * 1024,
  densityRatio: 0.95,
  overheadDeltaMs: 5,
  callsPerCore: 25,
} as const;

export interface StepFigures {
  calls: number;
  turns: number;
  held: number;
  unanswered: number;
  latencyP50: number;
  overheadP50: number;
  overheadP99: number;
  /** CPU per call, in % of one core (jobs + main + inference, over the window). */
  cpuPerCallPct: number;
  /** The same, split: job processes per call; main and inference in total (% of a core). */
  cpuSplit: { jobsPerCallPct: number; mainPct: number; inferencePct: number; idlePct: number };
  warmingInWindow: boolean;
  /** Calls the host's cores could carry at this CPU per call (all cores at 100 %). */
  cpuCapacity: number;
  activeJobRssMb: number;
  idleJobRssMb: number;
  mainRssMb: number;
  inferenceRssMb: number;
  totalRssMb: number;
  totalPssMb: number;
  db: string;
  /** The framework's own per-turn metrics, p50 (ms): end of utterance, transcription, LLM ttft, TTS ttfb. */
  frameworkP50: string;
  rampS: number;
  lost: number;
  load: string;
}

export function figures(result: StepResult, cores: number): StepFigures {
  const activePids = new Set(result.activePids);
  const { turns } = result.turns;
  const latencies = turns.map((t) => t.latencyMs).sort((a, b) => a - b);
  const overhead = turns
    .map((t) => t.latencyMs - (t.held ? HELD_DESIGN_WAIT_MS : DESIGN_WAIT_MS))
    .sort((a, b) => a - b);
  const cpuTotal = result.cpu.jobs + result.cpu.main + result.cpu.inference + result.cpu.idle;
  const cpuPerCall = cpuTotal / result.calls;
  const jobs = result.end.filter((s) => s.kind === 'job');
  const active = jobs.filter((s) => activePids.has(s.pid));
  const idle = jobs.filter((s) => !activePids.has(s.pid));
  const mean = (values: number[]) => (values.length ? values.reduce((a, b) => a + b, 0) / values.length : Number.NaN);
  const rss = (kind: string) => result.end.find((s) => s.kind === kind)?.rssMb ?? Number.NaN;
  return {
    calls: result.calls,
    turns: latencies.length,
    held: turns.filter((t) => t.held).length,
    unanswered: result.turns.unanswered,
    latencyP50: percentile(latencies, 50),
    overheadP50: percentile(overhead, 50),
    overheadP99: percentile(overhead, 99),
    cpuPerCallPct: cpuPerCall * 100,
    cpuSplit: {
      jobsPerCallPct: (result.cpu.jobs / result.calls) * 100,
      mainPct: result.cpu.main * 100,
      inferencePct: result.cpu.inference * 100,
      idlePct: result.cpu.idle * 100,
    },
    warmingInWindow: result.warmingInWindow,
    cpuCapacity: cores / cpuPerCall,
    activeJobRssMb: mean(active.map((s) => s.rssMb)),
    idleJobRssMb: mean(idle.length ? idle.map((s) => s.rssMb) : result.idleJobRssMb),
    mainRssMb: rss('main'),
    inferenceRssMb: rss('inference'),
    totalRssMb: result.end.reduce((sum, s) => sum + s.rssMb, 0),
    totalPssMb: result.end.reduce((sum, s) => sum + s.pssMb, 0),
    db: `${result.dbConnections.before}→${result.dbConnections.after}`,
    frameworkP50: (['eou', 'transcription', 'llm', 'tts'] as const)
      .map((k) =>
        f0(
          percentile(
            [...result.metrics[k]].sort((a, b) => a - b),
            50,
          ),
        ),
      )
      .join('/'),
    rampS: result.rampS,
    lost: result.lostCalls,
    load: result.loadAverage,
  };
}

const f0 = (n: number) => (Number.isFinite(n) ? n.toFixed(0) : '—');
const f1 = (n: number) => (Number.isFinite(n) ? n.toFixed(1) : '—');

export function printStep(sw: StepFigures | null, bare: StepFigures | null): void {
  const any = (sw ?? bare)!;
  console.log(
    `\nN = ${any.calls} concurrent calls   (load average at the end: sw ${sw?.load ?? '—'} | bare ${bare?.load ?? '—'})`,
  );
  const row = (label: string, a: string, b: string, target = '') =>
    console.log(`  ${label.padEnd(40)} ${a.padStart(12)} ${b.padStart(12)}   ${target}`);
  row('', 'switchboard', 'bare', 'target');
  const both = (fn: (x: StepFigures) => string) => [sw ? fn(sw) : '—', bare ? fn(bare) : '—'] as const;
  row('turns measured (unanswered)', ...both((x) => `${x.turns} (${x.unanswered})`));
  row('  of which held by the turn detector', ...both((x) => String(x.held)));
  row('turn latency p50, ms', ...both((x) => f0(x.latencyP50)));
  const delta = sw && bare ? sw.overheadP99 - bare.overheadP99 : Number.NaN;
  row('own overhead p50, ms', ...both((x) => f1(x.overheadP50)));
  row(
    'own overhead p99, ms',
    ...both((x) => f1(x.overheadP99)),
    `≤ ${TARGETS.overheadP99Ms}; sw − bare ${f1(delta)} (≤ ${TARGETS.overheadDeltaMs})`,
  );
  row('framework p50 eou/stt/llm/tts, ms', ...both((x) => x.frameworkP50));
  row('CPU per call, % of a core', ...both((x) => f1(x.cpuPerCallPct)));
  row(
    '  call process / main / inference / idle, %',
    ...both(
      (x) =>
        `${f1(x.cpuSplit.jobsPerCallPct)}/${f1(x.cpuSplit.mainPct)}/${f1(x.cpuSplit.inferencePct)}/${f1(x.cpuSplit.idlePct)}`,
    ),
  );
  const ratio = sw && bare ? sw.cpuCapacity / bare.cpuCapacity : Number.NaN;
  row(
    'calls the cores carry at this CPU/call',
    ...both((x) => f0(x.cpuCapacity)),
    `≥ ${TARGETS.callsPerCore}/core; sw ÷ bare ${ratio.toFixed(2)} (≥ ${TARGETS.densityRatio})`,
  );
  row('RSS per call process, MB', ...both((x) => f0(x.activeJobRssMb)));
  row('RSS per idle process, MB', ...both((x) => f0(x.idleJobRssMb)));
  row('  growth per live call (call − idle), MB', ...both((x) => f0(x.activeJobRssMb - x.idleJobRssMb)));
  row('RSS main / inference, MB', ...both((x) => `${f0(x.mainRssMb)}/${f0(x.inferenceRssMb)}`));
  row(
    'RSS total (PSS total), MB',
    ...both((x) => `${f0(x.totalRssMb)} (${f0(x.totalPssMb)})`),
    `< ${TARGETS.breakMemoryMb}`,
  );
  row('Postgres connections (window start→end)', ...both((x) => x.db), 'constant');
  row('Realtime sockets', '0', '0', 'Postgres backend (Supabase: 1 per host)');
  row('ramp: first launch → all live, s', ...both((x) => f1(x.rampS)));
  row('calls lost in the window', ...both((x) => String(x.lost)));
  row('idle processes still warming in the window', ...both((x) => (x.warmingInWindow ? 'yes' : 'no')));
}

/**
 * The host's limits from one step's figures: CPU (all cores busy, at this step's CPU per call in
 * the job processes, plus main and inference as measured) and memory (20 GB of RSS: main +
 * inference + idle processes + N × a call process).
 */
export function hostLimits(x: StepFigures, cores: number, idle: number): { cpuCalls: number; memoryCalls: number } {
  const fixedCores = (x.cpuSplit.mainPct + x.cpuSplit.inferencePct) / 100;
  const cpuCalls = (cores - fixedCores) / (x.cpuSplit.jobsPerCallPct / 100);
  const fixedMb = x.mainRssMb + x.inferenceRssMb + idle * x.idleJobRssMb;
  const memoryCalls = (TARGETS.breakMemoryMb - fixedMb) / x.activeJobRssMb;
  return { cpuCalls, memoryCalls };
}
