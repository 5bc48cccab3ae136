import { describe, expect, it } from 'vitest';
import { DeadlineExceeded } from './deadline.ts';
import { classifyPostgresError, isRetryablePostgresError } from './postgres_errors.ts';

const pgError = (code: string) => Object.assign(new Error(code), { code });

describe('classifyPostgresError', () => {
  it.each([
    ['ECONNREFUSED', 'unreachable'],
    ['CONNECT_TIMEOUT', 'unreachable'],
    ['CONNECTION_CLOSED', 'unreachable'],
    ['08006', 'unreachable'],
    ['57P01', 'unreachable'],
    ['53300', 'unreachable'],
    ['57014', 'timeout'],
    ['40001', 'busy'],
    ['40P01', 'busy'],
    ['55P03', 'busy'],
    ['53200', 'busy'],
    ['23505', 'refused'],
    ['42P01', 'refused'],
    ['P0001', 'refused'],
  ])('%s is %s', (code, kind) => {
    expect(classifyPostgresError(pgError(code))).toBe(kind);
  });

  it('counts our own deadline and an AbortSignal.timeout as a timeout, and Deno network errors as unreachable', () => {
    expect(classifyPostgresError(new DeadlineExceeded(10))).toBe('timeout');
    expect(classifyPostgresError(Object.assign(new Error('t'), { name: 'TimeoutError' }))).toBe('timeout');
    expect(classifyPostgresError(Object.assign(new Error('r'), { name: 'ConnectionRefused' }))).toBe('unreachable');
  });

  it('retries everything but the database refusing the statement', () => {
    expect(isRetryablePostgresError(pgError('08001'))).toBe(true);
    expect(isRetryablePostgresError(pgError('23514'))).toBe(false);
    expect(isRetryablePostgresError(new Error('no code'))).toBe(false);
    expect(isRetryablePostgresError(null)).toBe(false);
  });
});
