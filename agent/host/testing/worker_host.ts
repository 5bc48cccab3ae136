// The real worker host for tests: `node agent/main.ts start` (the production command, through
// node_modules/.bin/node) in its own process group, with the job processes the framework forks
// from it. Seen from outside as an operator would: /proc for the job processes, the framework's
// debug log lines for a finished prewarm and a started job, the hub's `stats` request for its
// connected clients.
// stop() kills the whole group and waits until no process of it remains.
import { type ChildProcess, spawn } from 'node:child_process';
import { readdirSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { createInterface } from 'node:readline';

const ROOT = path.join(import.meta.dirname, '..', '..', '..');
const NODE = path.join(ROOT, 'node_modules', '.bin', 'node');
const MAIN = path.join(ROOT, 'agent', 'main.ts');

/** What the framework logs (debug) in a job process once prewarm has returned (job_proc_lazy_main). */
export const PREWARM_DONE_MESSAGE = 'job runner initialized';
/** What it logs (debug) in the job process that took a job, with the job's id. */
export const JOB_STARTED_MESSAGE = 'job started';

export interface WorkerHostOptions {
  /** The worker's environment on top of PATH (LiveKit, providers, database, WORKER_*). */
  env: Record<string, string>;
}

export interface WorkerHost {
  /** Main's pid, also the process group's id. */
  pid: number;
  /** Job processes (pids) whose prewarm has returned, from the framework's log. */
  readonly prewarmed: ReadonlySet<number>;
  /** The process (pid) that started each job, by job id, from the framework's log. */
  readonly jobsStarted: ReadonlyMap<string, number>;
  /** Every log line main and its job processes wrote that was not JSON, and stderr: for failure messages. */
  readonly otherOutput: string[];
  /** The exit of main, once it happened. */
  readonly exit: { code: number | null; signal: NodeJS.Signals | null } | null;
  /** Live job processes: children of main running job_proc_lazy_main.js. */
  jobProcesses(): number[];
  stop(): Promise<void>;
}

export function startWorkerHost(options: WorkerHostOptions): WorkerHost {
  const child: ChildProcess = spawn(NODE, [MAIN, 'start'], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', LOG_LEVEL: 'debug', ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true, // its own process group: stop() reaches the job and inference processes too
  });
  const pid = child.pid;
  if (pid === undefined) throw new Error(`could not start ${MAIN}`);
  const prewarmed = new Set<number>();
  const jobsStarted = new Map<string, number>();
  const otherOutput: string[] = [];
  let exit: WorkerHost['exit'] = null;
  child.once('exit', (code, signal) => (exit = { code, signal }));
  // Should the test runner end without stop(), the group must not outlive it.
  const killOnExit = () => signalGroup(pid, 'SIGKILL');
  process.once('exit', killOnExit);
  const keep = (line: string) => {
    otherOutput.push(line);
    if (otherOutput.length > 200) otherOutput.shift();
  };
  createInterface({ input: child.stdout! }).on('line', (line) => {
    let record: { msg?: unknown; pid?: unknown; jobID?: unknown } | undefined;
    try {
      record = JSON.parse(line) as typeof record;
    } catch {
      keep(line);
      return;
    }
    if (record?.msg === PREWARM_DONE_MESSAGE && typeof record.pid === 'number') prewarmed.add(record.pid);
    else if (record?.msg === JOB_STARTED_MESSAGE && typeof record.pid === 'number' && typeof record.jobID === 'string')
      jobsStarted.set(record.jobID, record.pid);
    else if (typeof record?.msg === 'string' && /error|fail/i.test(record.msg)) keep(line);
  });
  createInterface({ input: child.stderr! }).on('line', keep);

  return {
    pid,
    prewarmed,
    jobsStarted,
    otherOutput,
    get exit() {
      return exit;
    },
    jobProcesses: () =>
      processes()
        .filter((p) => p.ppid === pid && p.cmdline.includes('job_proc_lazy_main'))
        .map((p) => p.pid),
    async stop() {
      // SIGKILL to the group: main's SIGTERM drain would wait for LiveKit, and idle job
      // processes ignore SIGTERM (they linger until orphaned, 15 s).
      signalGroup(pid, 'SIGKILL');
      process.off('exit', killOnExit);
      const deadline = Date.now() + 10_000;
      while (processes().some((p) => p.pgrp === pid)) {
        if (Date.now() > deadline) throw new Error(`worker ${pid}: processes of its group still alive after SIGKILL`);
        await sleep(50);
      }
      const socket = options.env.WORKER_HUB_SOCKET;
      if (socket) rmSync(socket, { force: true });
    },
  };
}

interface ProcessInfo {
  pid: number;
  ppid: number;
  pgrp: number;
  cmdline: string;
}

/** Every process on the host, from /proc (Linux). A process that exits while being read is skipped. */
export function processes(): ProcessInfo[] {
  const found: ProcessInfo[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      // pid (comm) state ppid pgrp …; comm may hold spaces and parentheses.
      const [state, ppid, pgrp] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (state === 'Z') continue; // exited, not yet reaped: holds nothing
      const cmdline = readFileSync(`/proc/${entry}/cmdline`, 'utf8').replaceAll('\0', ' ');
      found.push({ pid: Number(entry), ppid: Number(ppid), pgrp: Number(pgrp), cmdline });
    } catch {
      // gone
    }
  }
  return found;
}

function signalGroup(pgid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pgid, signal);
  } catch {
    // the group is gone already
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
