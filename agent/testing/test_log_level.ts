// The log level tests run at: quiet unless a developer asks (LOG_LEVEL=debug npx vitest run ...).
// Tests that care about a log line inject a logger and assert on it; the rest of the output is
// the runner's summary and real failures.
export type TestLogLevel = 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'fatal';

const LEVELS = new Set(['trace', 'debug', 'info', 'warn', 'error', 'fatal']);

export function testLogLevel(): TestLogLevel {
  const asked = process.env.LOG_LEVEL;
  return asked && LEVELS.has(asked) ? (asked as TestLogLevel) : 'fatal';
}
