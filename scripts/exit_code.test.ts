import { describe, expect, it } from 'vitest';
import { AppError } from '../shared/errors.ts';
import { EXIT_CODE, exitCodeFor } from './exit_code.ts';

describe('exit codes', () => {
  it('give warnings, failures and usage mistakes distinct codes', () => {
    const codes = Object.values(EXIT_CODE);
    expect(new Set(codes).size).toBe(codes.length);
  });

  it('map the error taxonomy in one place', () => {
    expect(exitCodeFor(new AppError('invalid_request', 'bad flag'))).toBe(EXIT_CODE.usage);
    expect(exitCodeFor(new AppError('invalid_config', 'no LIVEKIT_URL'))).toBe(EXIT_CODE.config);
    expect(exitCodeFor(new AppError('unauthorized', 'wrong key'))).toBe(EXIT_CODE.config);
    expect(exitCodeFor(new AppError('unavailable', 'refused'))).toBe(EXIT_CODE.unreachable);
    expect(exitCodeFor(new AppError('timeout', 'no answer'))).toBe(EXIT_CODE.unreachable);
    expect(exitCodeFor(new AppError('not_found', 'no such config'))).toBe(EXIT_CODE.failures);
    expect(exitCodeFor(new Error('unclassified'))).toBe(EXIT_CODE.failures);
  });
});
