// CPU time and memory of the worker host's processes, read from /proc: main (this process), the
// inference process and the job processes (the framework forks them from main; they are told
// apart by the script in their command line, as `ps` would show them).
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';

export type ProcKind = 'main' | 'inference' | 'job';

export interface ProcSample {
  pid: number;
  kind: ProcKind;
  /** utime + stime, in seconds. */
  cpuS: number;
  rssMb: number;
  /** Proportional set size: shared pages split between the processes that map them. */
  pssMb: number;
}

const TICKS_PER_S = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;

function read(path: string): string | null {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return null; // the process exited between listing and reading
  }
}

function kindOf(pid: number): ProcKind | null {
  if (pid === process.pid) return 'main';
  const cmdline = read(`/proc/${pid}/cmdline`);
  if (!cmdline) return null;
  if (cmdline.includes('job_proc_lazy_main')) return 'job';
  if (cmdline.includes('inference_proc_lazy_main')) return 'inference';
  return null;
}

function parentOf(pid: number): number | null {
  const stat = read(`/proc/${pid}/stat`);
  if (!stat) return null;
  return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
}

function sample(pid: number, kind: ProcKind): ProcSample | null {
  const stat = read(`/proc/${pid}/stat`);
  const status = read(`/proc/${pid}/status`);
  if (!stat || !status) return null;
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const cpuS = (Number(fields[11]) + Number(fields[12])) / TICKS_PER_S; // utime, stime (stat fields 14, 15)
  const rssKb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
  const pssKb = Number(/Pss:\s+(\d+)/.exec(read(`/proc/${pid}/smaps_rollup`) ?? '')?.[1] ?? 0);
  return { pid, kind, cpuS, rssMb: rssKb / 1024, pssMb: pssKb / 1024 };
}

/** Main and every framework process it forked. */
export function sampleHost(): ProcSample[] {
  const out: ProcSample[] = [];
  for (const name of readdirSync('/proc')) {
    const pid = Number(name);
    if (!Number.isInteger(pid) || (pid !== process.pid && parentOf(pid) !== process.pid)) continue;
    const kind = kindOf(pid);
    const s = kind ? sample(pid, kind) : null;
    if (s) out.push(s);
  }
  return out;
}

export function loadAverage(): string {
  return (read('/proc/loadavg') ?? '').split(' ').slice(0, 3).join(' ');
}

export function memAvailableMb(): number {
  return Number(/MemAvailable:\s+(\d+)/.exec(read('/proc/meminfo') ?? '')?.[1] ?? 0) / 1024;
}
