import { describe, expect, it } from 'vitest';
import type { SipReport } from '../../shared/sip/report.ts';
import { EXIT_CODE } from '../exit_code.ts';
import { exitCodeFor } from './doctor.ts';

const report = (result: SipReport['result'], unknownStages: SipReport['unknownStages']): SipReport => ({
  takenAt: '2026-11-25T12:00:00.000Z',
  result,
  counts: { fail: 0, warn: 0, info: 0 },
  unknownStages,
  stages: [],
  findings: [],
});

describe('doctor exit code', () => {
  it('exits 0 only when every stage was read and nothing was found', () => {
    expect(exitCodeFor(report('ok', []))).toBe(EXIT_CODE.ok);
  });
  it('exits 1, not 0, when nothing was found but a stage could not be checked', () => {
    expect(exitCodeFor(report('ok', ['providers']))).toBe(EXIT_CODE.warnings);
  });
  it('keeps the exit code of failures when a stage was also not read', () => {
    expect(exitCodeFor(report('fail', ['dispatch_rule']))).toBe(EXIT_CODE.failures);
  });
});
