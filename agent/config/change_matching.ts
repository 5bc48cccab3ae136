// Which cached resolutions a committed change can affect, and whether a newer resolution may
// replace an older one. Pure functions: the cache decides what to refetch with them.
import type { ResolvedAgentConfig } from '../../shared/agent_config.ts';
import { canonicalJson } from '../../shared/canonical_json.ts';
import type { ChangeSignal } from './backend.ts';

/**
 * True when `signal` may change the resolution of `dialedNumber` (an E.164 key) that is
 * currently `resolved`. Errs on the side of refetching.
 */
export function changeAffects(signal: ChangeSignal, dialedNumber: string, resolved: ResolvedAgentConfig): boolean {
  if (signal.all) return true;
  switch (signal.table) {
    case 'agent_configs': {
      const configId = resolved.config?.id;
      if (!configId) return false;
      return signal.rows.some((row) => {
        if (row.id !== configId) return false;
        // A version the cache already holds (our own refetch saw it first) needs no round trip.
        if (signal.op !== 'delete' && row.version !== undefined) return row.version > (resolved.config?.version ?? 0);
        return true;
      });
    }
    case 'phone_numbers':
      return signal.rows.some(
        (row) => row.e164 === dialedNumber || (row.id !== undefined && row.id === resolved.phone_number?.id),
      );
    case 'voices': {
      const used = new Set([resolved.voice?.voice_id, resolved.default_voice?.voice_id, resolved.config?.voice_id]);
      return signal.rows.some((row) => row.voice_id === undefined || used.has(row.voice_id));
    }
  }
}

/**
 * Whether `next` may replace `current`: never an older version of the same config. A different
 * config (the number now points elsewhere) or no config is decided by fetch order alone.
 */
export function isNotOlder(next: ResolvedAgentConfig, current: ResolvedAgentConfig): boolean {
  if (!next.config || !current.config || next.config.id !== current.config.id) return true;
  return next.config.version >= current.config.version;
}

/** Structural equality of two resolutions (JSON values from the same function). */
export function sameResolution(a: ResolvedAgentConfig, b: ResolvedAgentConfig): boolean {
  return canonicalJson(a) === canonicalJson(b);
}
