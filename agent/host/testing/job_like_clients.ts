// Job-like clients (job_like_client.ts) started from a host test, as real child processes. Each
// reports what it did as one JSON line; one that exits first, or says nothing within the
// deadline, fails the test instead of hanging it. stop() closes their stdin (they close their
// sources and exit) and SIGKILLs any still there after 5 s.
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import path from 'node:path';
import { createInterface } from 'node:readline';

const CLIENT = path.join(import.meta.dirname, 'job_like_client.ts');
/** Each client's start (Node, a database or supabase-js client, a resolve and a write) must be done by then. */
const REPORT_MS = 20_000;

export interface JobLikeReport {
  pid: number;
  hubPid: number | null;
  heldWhileIdle: number;
  origin: string;
  callId: string;
  direct: number;
}

export interface JobLikeClients {
  /** `socketPath` '-' runs the client without the hub (its own source and store). */
  start(socketPath: string, backendUrl: string, dialed: string): Promise<JobLikeReport>;
  stop(): Promise<void>;
}

/** `env` is added to PATH and LOG_LEVEL=fatal for every client. */
export function jobLikeClients(env: Record<string, string> = {}): JobLikeClients {
  const children: ChildProcess[] = [];
  return {
    async start(socketPath, backendUrl, dialed) {
      const child = spawn(process.execPath, [CLIENT, socketPath, backendUrl, dialed], {
        stdio: ['pipe', 'pipe', 'inherit'],
        env: { PATH: process.env.PATH, LOG_LEVEL: 'fatal', ...env },
      });
      children.push(child);
      return readReport(child);
    },
    async stop() {
      await Promise.all(children.splice(0).map(stopChild));
    },
  };
}

async function readReport(child: ChildProcess): Promise<JobLikeReport> {
  const line = once(createInterface({ input: child.stdout! }), 'line') as Promise<[string]>;
  const exited = once(child, 'exit').then(([code]) => {
    throw new Error(`job-like client ${child.pid} exited with ${String(code)} before reporting`);
  });
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`job-like client ${child.pid} did not report within ${REPORT_MS} ms`)),
      REPORT_MS,
    );
  });
  try {
    const [text] = await Promise.race([line, exited, late]);
    return JSON.parse(text) as JobLikeReport;
  } finally {
    clearTimeout(timer);
    exited.catch(() => {});
  }
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, 'exit');
  child.stdin?.end();
  const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
  await exited;
  clearTimeout(timer);
}
