import { defineConfig } from 'vitest/config';
import { isTypeFetchOnLostConnection } from './shared/postgres_type_fetch.ts';

export default defineConfig({
  test: {
    include: [
      'shared/**/*.test.ts',
      'agent/**/*.test.ts',
      'dispatcher/**/*.test.ts',
      'scripts/**/*.test.ts',
      'supabase/tests/**/*.test.ts',
      'test/**/*.test.ts',
    ],
    globalSetup: ['test/db/global_setup.ts'],
    // The worker drops this one postgres.js rejection (agent/store/postgres_type_fetch_guard.ts);
    // fault tests that reset the database while a connection opens may leave it behind too.
    onUnhandledError: (error) => !isTypeFetchOnLostConnection(error),
    pool: 'forks',
    // Quiet logs: the runner's summary and real failures are what a developer reads. A test that
    // cares about a log line injects a logger. LOG_LEVEL=debug npx vitest run … shows them all.
    env: { LOG_LEVEL: process.env.LOG_LEVEL ?? 'fatal' },
    testTimeout: 30_000,
    hookTimeout: 60_000,
  },
});
