// The fault modes of the TCP proxy (tcp_proxy.ts), as plain JSON so Deno tests can send them
// over the control endpoint (tcp_proxy_control.ts).

export type ProxyMode =
  | { kind: 'pass' }
  | { kind: 'refuse' }
  | { kind: 'reset' }
  | { kind: 'stall' }
  /** Forwards `bytes` more bytes from the server to each client, then stalls. */
  | { kind: 'stall_after'; bytes: number }
  /** Server bytes at `bytes` (default 1) per `intervalMs` (default 500). */
  | { kind: 'trickle'; bytes?: number; intervalMs?: number };

export const DEFAULT_TRICKLE_BYTES = 1;
export const DEFAULT_TRICKLE_INTERVAL_MS = 500;

const KINDS = new Set(['pass', 'refuse', 'reset', 'stall', 'stall_after', 'trickle']);

/** `mode` with its defaults filled in; throws on an unknown kind or a bad number. */
export function resolveMode(mode: ProxyMode): ProxyMode {
  if (!mode || !KINDS.has(mode.kind)) throw new Error(`unknown proxy mode ${JSON.stringify(mode)}`);
  if (mode.kind === 'stall_after') return { kind: 'stall_after', bytes: count(mode.bytes, 'bytes') };
  if (mode.kind === 'trickle') {
    return {
      kind: 'trickle',
      bytes: count(mode.bytes ?? DEFAULT_TRICKLE_BYTES, 'bytes'),
      intervalMs: count(mode.intervalMs ?? DEFAULT_TRICKLE_INTERVAL_MS, 'intervalMs'),
    };
  }
  return { kind: mode.kind };
}

function count(value: unknown, name: string): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0)
    throw new Error(`proxy mode: ${name} must be a whole number`);
  return value;
}
