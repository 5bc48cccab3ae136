import { describe, expect, it } from 'vitest';
import { rpcError } from './supabase_errors.ts';

describe('rpcError', () => {
  it.each([
    [0, undefined, 'unavailable', true],
    [503, 'PGRST000', 'unavailable', true],
    [502, undefined, 'unavailable', true],
    [500, undefined, 'unavailable', true],
    [429, undefined, 'unavailable', true],
    [500, '40P01', 'unavailable', true],
    [500, '57014', 'timeout', true],
    [500, 'XX000', 'invalid_request', false],
    [400, 'P0001', 'invalid_request', false],
    [404, 'PGRST202', 'invalid_request', false],
  ])('HTTP %s with code %s is %s (retryable: %s)', (status, code, appCode, retryable) => {
    const error = rpcError('record_call', { message: 'm', ...(code ? { code } : {}) }, status);
    expect(error).toMatchObject({ code: appCode, retryable });
  });
});
