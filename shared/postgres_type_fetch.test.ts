import { describe, expect, it } from 'vitest';
import { isTypeFetchOnLostConnection } from './postgres_type_fetch.ts';

const TYPE_QUERY = '\n      select b.oid, b.typarray\n      from pg_catalog.pg_type a\n';

describe('the postgres.js type-read guard', () => {
  it('drops only the type read of a connection that was lost', () => {
    expect(isTypeFetchOnLostConnection({ code: 'ECONNRESET', query: TYPE_QUERY })).toBe(true);
    expect(isTypeFetchOnLostConnection({ code: '57P01', query: TYPE_QUERY })).toBe(true);
  });

  it('keeps every other rejection fatal', () => {
    expect(isTypeFetchOnLostConnection({ code: 'ECONNRESET', query: 'select 1' })).toBe(false);
    expect(isTypeFetchOnLostConnection({ code: '42P01', query: TYPE_QUERY })).toBe(false);
    expect(isTypeFetchOnLostConnection(new Error('boom'))).toBe(false);
    expect(isTypeFetchOnLostConnection(undefined)).toBe(false);
  });
});
