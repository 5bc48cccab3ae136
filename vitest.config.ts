import { defineConfig } from 'vitest/config';

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
    pool: 'forks',
    // Quiet logs: the runner's summary and real failures are what a developer reads. A test that
    // cares about a log line injects a logger. LOG_LEVEL=debug npx vitest run … shows them all.
    env: { LOG_LEVEL: process.env.LOG_LEVEL ?? 'fatal' },
    testTimeout: 30_000,
    hookTimeout: 60_000,
  },
});
