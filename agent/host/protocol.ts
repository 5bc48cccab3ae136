// The local channel between a worker's main process (the hub: config cache and call-record writer)
// and its job processes: newline-delimited JSON over a Unix domain socket. Small and versioned:
// a client opens with `hello` carrying HUB_PROTOCOL_VERSION; a hub that speaks another version
// answers `refused` and closes, and the client then works without the hub (direct writes, its
// call's last known config). Requests carry an `id` echoed in their `reply`; `change` is pushed
// for every number the connection watches. `stats` (read-only: the hub's counters, for tests and
// operators) came later within version 1: a hub that predates it ignores it, so the asker's
// deadline answers. Wire fields are snake_case.
import type { ResolvedAgentConfig } from '../../shared/agent_config.ts';
import { AppError, type ErrorCode, ERROR_STATUS } from '../../shared/errors.ts';
import type { ConfigOrigin } from '../store/call_rows.ts';

/** Bumped on any change a peer of the previous version would misread. */
export const HUB_PROTOCOL_VERSION = 1;

/** A line longer than this is a broken peer, not a message: the connection is closed. */
export const MAX_LINE_BYTES = 4 * 1024 * 1024;

/** Call-store operations a job may ask of the hub; the queued ones are written idempotently. */
export const HUB_STORE_OPS = [
  'recordCall',
  'heartbeat',
  'recordTurns',
  'recordMessage',
  'recordAnalysis',
  'reportVoiceNotFound',
] as const;
export type HubStoreOp = (typeof HUB_STORE_OPS)[number];

export type ClientMessage =
  | { t: 'hello'; v: number; pid: number }
  | { t: 'resolve'; id: number; number: string }
  | { t: 'watch'; number: string }
  | { t: 'unwatch'; number: string }
  | { t: 'store'; id: number; op: HubStoreOp; args: unknown[] }
  | { t: 'stats'; id: number };

export interface WireError {
  code: ErrorCode;
  message: string;
  retryable: boolean;
}

export type HubMessage =
  | { t: 'welcome'; v: number; pid: number }
  | { t: 'refused'; v: number; reason: string }
  | { t: 'reply'; id: number; ok: true; value: unknown }
  | { t: 'reply'; id: number; ok: false; error: WireError }
  | { t: 'change'; number: string; resolved: ResolvedAgentConfig };

/** What a stats reply's value holds. */
export interface WireHubStats {
  /** The hub's process id (the worker's main process). */
  pid: number;
  /** Connections the hub has welcomed, not counting the one asking: the job processes. */
  clients: number;
  resolves: number;
  /** Record writes queued so far. */
  writes: number;
  changes_pushed: number;
  /** Record writes the hub holds now (waiting for the database or being written). */
  pending_writes: number;
}

/** What a resolve reply's value holds. */
export interface WireResolution {
  resolved: ResolvedAgentConfig;
  origin: ConfigOrigin;
}

export function encode(message: ClientMessage | HubMessage): string {
  return `${JSON.stringify(message)}\n`;
}

/**
 * Splits a byte stream into parsed lines. Returns false when a line is over MAX_LINE_BYTES (the
 * caller closes the connection); a line that is not JSON is skipped.
 */
export function lineReader(onMessage: (message: Record<string, unknown>) => void): (chunk: Buffer) => boolean {
  let buffered = '';
  return (chunk) => {
    buffered += chunk.toString('utf8');
    for (let newline = buffered.indexOf('\n'); newline >= 0; newline = buffered.indexOf('\n')) {
      const line = buffered.slice(0, newline);
      buffered = buffered.slice(newline + 1);
      if (line.length === 0) continue;
      let parsed: unknown;
      try {
        parsed = JSON.parse(line);
      } catch {
        continue;
      }
      if (parsed && typeof parsed === 'object') onMessage(parsed as Record<string, unknown>);
    }
    return buffered.length <= MAX_LINE_BYTES;
  };
}

export function toWireError(error: unknown): WireError {
  if (error instanceof AppError) return { code: error.code, message: error.message, retryable: error.retryable };
  return { code: 'internal', message: error instanceof Error ? error.message : String(error), retryable: false };
}

export function fromWireError(error: WireError): AppError {
  const code = typeof error?.code === 'string' && error.code in ERROR_STATUS ? error.code : 'internal';
  return new AppError(code, String(error?.message ?? 'the hub failed'), { retryable: error?.retryable === true });
}
