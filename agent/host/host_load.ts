// The framework options that size one worker host: idle job processes (numIdleProcesses) and,
// when WORKER_MAX_CALLS is set, a call cap reported through the load function. The framework
// marks the worker full when load >= loadThreshold; it asks every 2.5 s, and does not check load
// when a job arrives, so a burst inside those 2.5 s can pass the cap by a few calls.
import os from 'node:os';
import type { AgentServer } from '@livekit/agents';
import type { HostSettings } from './host_env.ts';

/** The framework's own CPU threshold under `start`: above it a worker takes no new calls. */
export const CPU_FULL_AT = 0.7;

export interface HostServerOptions {
  numIdleProcesses?: number;
  loadFunc?: (server: AgentServer) => Promise<number>;
  loadThreshold?: number;
}

/** Spread into ServerOptions; empty settings leave the framework's defaults. */
export function hostServerOptions(host: HostSettings): HostServerOptions {
  return {
    ...(host.idleProcesses ? { numIdleProcesses: host.idleProcesses } : {}),
    ...(host.maxCalls > 0 ? { loadFunc: callCapLoad(host.maxCalls), loadThreshold: 1 } : {}),
  };
}

/**
 * Load 0..1 where 1 is full: the larger of CPU use over CPU_FULL_AT (the framework's default rule)
 * and active calls over the cap. CPU use is measured between two calls (the framework's own
 * monitor is internal), from os.cpus(), so it is the host's, not a cgroup's.
 */
export function callCapLoad(
  maxCalls: number,
  cpu: () => number = cpuSampler(),
): (server: Pick<AgentServer, 'activeJobs'>) => Promise<number> {
  return async (server) => Math.min(1, Math.max(cpu() / CPU_FULL_AT, server.activeJobs.length / maxCalls));
}

/** CPU use (0..1) since the previous call. */
export function cpuSampler(): () => number {
  let previous = totals();
  return () => {
    const now = totals();
    const total = now.total - previous.total;
    const idle = now.idle - previous.idle;
    previous = now;
    return total <= 0 ? 0 : Math.max(0, Math.min(1, 1 - idle / total));
  };
}

function totals(): { idle: number; total: number } {
  let idle = 0;
  let total = 0;
  for (const cpu of os.cpus()) {
    idle += cpu.times.idle;
    total += cpu.times.user + cpu.times.nice + cpu.times.sys + cpu.times.idle + cpu.times.irq;
  }
  return { idle, total };
}
