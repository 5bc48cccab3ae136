// The config layer logs through the worker's pino logger (`log()` from @livekit/agents) when the
// framework has initialised it, and through a quiet pino logger otherwise (tests, benches).
// Phone numbers only ever go under `pii.` keys.
import { log } from '@livekit/agents';
import { pino } from 'pino';

export interface ConfigLogger {
  debug(fields: Record<string, unknown>, message: string): void;
  info(fields: Record<string, unknown>, message: string): void;
  warn(fields: Record<string, unknown>, message: string): void;
  error(fields: Record<string, unknown>, message: string): void;
}

let fallback: ConfigLogger | undefined;

/** The framework's logger if it is initialised, else a pino logger at LOG_LEVEL (default `warn`). */
export function defaultConfigLogger(component: string): ConfigLogger {
  const pick = (): ConfigLogger => {
    try {
      return log();
    } catch {
      fallback ??= pino({ level: fallbackLevel() });
      return fallback;
    }
  };
  const bound = (level: keyof ConfigLogger) => (fields: Record<string, unknown>, message: string) =>
    pick()[level]({ component, ...fields }, message);
  return { debug: bound('debug'), info: bound('info'), warn: bound('warn'), error: bound('error') };
}

const LEVELS = new Set(['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent']);

function fallbackLevel(): string {
  const asked = process.env.LOG_LEVEL;
  return asked && LEVELS.has(asked) ? asked : 'warn';
}

/** For errors in logs: the message and code, never a request body or a key. */
export function errorFields(error: unknown): Record<string, unknown> {
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code;
    return { err: { name: error.name, message: error.message, ...(code === undefined ? {} : { code }) } };
  }
  return { err: { message: String(error) } };
}
