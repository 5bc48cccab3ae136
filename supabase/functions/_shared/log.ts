// One logger for the edge functions (pino, JSON lines on stdout, which Supabase collects).
// Never log tokens, API keys or request bodies; phone numbers and text only under `pii.` keys.
import pino from 'pino';

export type Logger = pino.Logger;

export const log: Logger = pino({
  base: undefined,
  level: 'info',
  redact: {
    paths: ['authorization', 'apikey', 'headers.authorization', 'headers.apikey', '*.apiKey', 'apiKey'],
    censor: '[redacted]',
  },
});

export function setLogLevel(level: string): void {
  log.level = level;
}
