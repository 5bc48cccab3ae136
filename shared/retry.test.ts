import { describe, expect, it } from 'vitest';
import { doublingScheduleMs, retryDelayMs } from './retry.ts';

describe('retry schedule', () => {
  it('walks the schedule and repeats its last delay', () => {
    const schedule = [100, 250, 500];
    expect([0, 1, 2, 3, 10].map((attempt) => retryDelayMs(attempt, schedule))).toEqual([100, 250, 500, 500, 500]);
  });

  it('doubles from the first delay up to the cap', () => {
    expect(doublingScheduleMs(250, 10_000)).toEqual([250, 500, 1_000, 2_000, 4_000, 8_000, 10_000]);
    expect(doublingScheduleMs(500, 300)).toEqual([300]);
    expect(doublingScheduleMs(0, 300)).toEqual([0]);
  });
});
