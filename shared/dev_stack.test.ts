import { describe, expect, it } from 'vitest';
import { devDatabaseUrl, devFunctionsUrl } from './dev_stack.ts';

describe('local stack addresses', () => {
  it('default to the Supabase local-stack ports', () => {
    expect(devDatabaseUrl({})).toBe('postgresql://postgres:postgres@127.0.0.1:54322/switchboard');
    expect(devFunctionsUrl({})).toBe('http://127.0.0.1:54321');
  });

  it('follow DEV_DB_PORT and FUNCTIONS_PORT', () => {
    expect(devDatabaseUrl({ DEV_DB_PORT: '40001' })).toBe('postgresql://postgres:postgres@127.0.0.1:40001/switchboard');
    expect(devFunctionsUrl({ FUNCTIONS_PORT: '40002' })).toBe('http://127.0.0.1:40002');
  });

  it('refuse a port that is not one, naming the variable', () => {
    expect(() => devDatabaseUrl({ DEV_DB_PORT: 'abc' })).toThrow(/DEV_DB_PORT must be a TCP port/);
    expect(() => devFunctionsUrl({ FUNCTIONS_PORT: '70000' })).toThrow(/FUNCTIONS_PORT/);
  });
});
