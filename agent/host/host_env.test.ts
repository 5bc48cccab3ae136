// The host settings: the hub on by default (used by a job process only when main gave it the
// socket), WORKER_HUB=off for per-process connections, the framework's idle-process default, no
// call cap unless set; and the cap reported through the load function.
import { describe, expect, it } from 'vitest';
import { loadWorkerEnv } from '../env.ts';
import { callCapLoad, hostServerOptions } from './host_load.ts';

const GOOD = {
  LIVEKIT_URL: 'ws://127.0.0.1:7880',
  LIVEKIT_API_KEY: 'devkey',
  LIVEKIT_API_SECRET: 'secret',
  OPENAI_API_KEY: 'sk-x',
  DEEPGRAM_API_KEY: 'dg-x',
  ELEVEN_API_KEY: 'el-x',
  DATABASE_URL: 'postgresql://postgres:postgres@127.0.0.1:54322/switchboard',
};

describe('host settings', () => {
  it("default to the hub on, no socket yet, the framework's idle processes and no call cap", () => {
    const { host } = loadWorkerEnv(GOOD);
    expect(host).toEqual({ hub: true, hubSocket: null, idleProcesses: null, maxCalls: 0, reconcileIntervalMs: 60_000 });
    expect(hostServerOptions(host)).toEqual({});
  });

  it('take a socket, WORKER_HUB=off (which ignores the socket), idle processes and a call cap', () => {
    expect(loadWorkerEnv({ ...GOOD, WORKER_HUB_SOCKET: '/run/sw/hub.sock' }).host.hubSocket).toBe('/run/sw/hub.sock');
    expect(loadWorkerEnv({ ...GOOD, WORKER_HUB: 'off', WORKER_HUB_SOCKET: '/run/sw/hub.sock' }).host).toMatchObject({
      hub: false,
      hubSocket: null,
    });
    const { host } = loadWorkerEnv({ ...GOOD, WORKER_IDLE_PROCESSES: '3', WORKER_MAX_CALLS: '20' });
    expect(host).toMatchObject({ idleProcesses: 3, maxCalls: 20 });
    expect(hostServerOptions(host)).toMatchObject({ numIdleProcesses: 3, loadThreshold: 1 });
    expect(loadWorkerEnv({ ...GOOD, WORKER_RECONCILE_SECONDS: '600' }).host.reconcileIntervalMs).toBe(600_000);
  });

  it('names malformed values', () => {
    expect(() => loadWorkerEnv({ ...GOOD, WORKER_HUB: 'yes' })).toThrow(/WORKER_HUB \(must be on or off\)/);
    expect(() => loadWorkerEnv({ ...GOOD, WORKER_IDLE_PROCESSES: '0' })).toThrow(
      /WORKER_IDLE_PROCESSES \(must be a positive number of processes\)/,
    );
    expect(() => loadWorkerEnv({ ...GOOD, WORKER_MAX_CALLS: '-1' })).toThrow(/WORKER_MAX_CALLS/);
    for (const seconds of ['0', '5', '7200', '1.5'])
      expect(() => loadWorkerEnv({ ...GOOD, WORKER_RECONCILE_SECONDS: seconds })).toThrow(
        /WORKER_RECONCILE_SECONDS \(must be a number of seconds from 10 to 3600\)/,
      );
  });
});

describe('the call cap load', () => {
  const jobs = (n: number) => ({ activeJobs: Array.from({ length: n }) as never[] });

  it('reaches 1 (full) at the cap, whatever the CPU', async () => {
    const load = callCapLoad(4, () => 0);
    expect(await load(jobs(0))).toBe(0);
    expect(await load(jobs(2))).toBe(0.5);
    expect(await load(jobs(4))).toBe(1);
    expect(await load(jobs(6))).toBe(1);
  });

  it("is full at the framework's CPU threshold with few calls", async () => {
    expect(await callCapLoad(10, () => 0.7)(jobs(1))).toBeCloseTo(1);
    expect(await callCapLoad(10, () => 0.35)(jobs(1))).toBeCloseTo(0.5);
  });
});
