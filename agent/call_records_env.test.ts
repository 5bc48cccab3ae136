// The worker's call-record settings come from its environment with defaults, and a lapse too
// short to tell a dead worker from a late heartbeat stops the worker at start-up.
import { describe, expect, it } from 'vitest';
import { loadWorkerEnv } from './env.ts';

const GOOD = {
  LIVEKIT_URL: 'ws://127.0.0.1:7880',
  LIVEKIT_API_KEY: 'devkey',
  LIVEKIT_API_SECRET: 'secret',
  OPENAI_API_KEY: 'sk-x',
  DEEPGRAM_API_KEY: 'dg-x',
  ELEVEN_API_KEY: 'el-x',
  DATABASE_URL: 'postgresql://postgres:postgres@127.0.0.1:54322/switchboard',
};

describe('call-record settings', () => {
  it('default to a 5 s request deadline, 1 000 queued writes, a 10 min flush, 15 s heartbeats, a 2 min lapse and a 1 min sweep', () => {
    expect(loadWorkerEnv(GOOD).callRecords).toEqual({
      dbTimeoutMs: 5_000,
      maxPendingWrites: 1_000,
      flushMs: 600_000,
      heartbeatIntervalMs: 15_000,
      lostAfterMs: 120_000,
      sweepIntervalMs: 60_000,
    });
  });

  it("take overrides, and 0 turns this worker's sweep off", () => {
    const env = loadWorkerEnv({
      ...GOOD,
      CALL_DB_TIMEOUT_MS: '2000',
      CALL_WRITES_MAX_PENDING: '50',
      CALL_SWEEP_INTERVAL_MS: '0',
      CALL_HEARTBEAT_INTERVAL_MS: '5000',
      CALL_LOST_AFTER_MS: '15000',
    });
    expect(env.callRecords).toMatchObject({
      dbTimeoutMs: 2_000,
      maxPendingWrites: 50,
      sweepIntervalMs: 0,
      heartbeatIntervalMs: 5_000,
      lostAfterMs: 15_000,
    });
  });

  it('refuses a lapse shorter than three heartbeats, and malformed numbers, naming them', () => {
    expect(() => loadWorkerEnv({ ...GOOD, CALL_LOST_AFTER_MS: '20000' })).toThrow(
      /CALL_LOST_AFTER_MS \(must be at least 3 × CALL_HEARTBEAT_INTERVAL_MS, 45000\)/,
    );
    expect(() => loadWorkerEnv({ ...GOOD, CALL_DB_TIMEOUT_MS: 'soon' })).toThrow(
      /CALL_DB_TIMEOUT_MS \(must be a positive number of milliseconds\)/,
    );
  });
});
