// Backups of the live trunks and dispatch rules (the SDK's toJson, every field) and the restore
// plan: recreate what is gone (new ids, everything else identical, rules re-pointed at the
// recreated trunks) and put back what was changed. Restore never deletes.
import { z } from 'zod';
import { AppError } from '../errors.ts';
import type { DispatchRule, InboundTrunk } from './types.ts';

export const BACKUP_KIND = 'switchboard-sip-backup';

export interface SipBackup {
  kind: typeof BACKUP_KIND;
  version: 1;
  takenAt: string;
  /** The LiveKit host it was taken from (no credentials). */
  host: string;
  trunks: InboundTrunk[];
  rules: DispatchRule[];
}

const backupSchema = z.object({
  kind: z.literal(BACKUP_KIND),
  version: z.literal(1),
  takenAt: z.string(),
  host: z.string(),
  trunks: z.array(z.object({ sipTrunkId: z.string().min(1) }).passthrough()),
  rules: z.array(z.object({ sipDispatchRuleId: z.string().min(1) }).passthrough()),
});

export function parseBackup(raw: unknown, source: string): SipBackup {
  const parsed = backupSchema.safeParse(raw);
  if (!parsed.success) {
    throw new AppError(
      'invalid_request',
      `${source} is not a Switchboard SIP backup (${parsed.error.issues[0]?.path.join('.')}: ${parsed.error.issues[0]?.message}). Use a file written by \`npm run sip -- backup\` or apply.`,
    );
  }
  return parsed.data as SipBackup;
}

const VOLATILE = new Set(['sipTrunkId', 'sipDispatchRuleId', 'createdAt', 'updatedAt']);

/** The object without its id and timestamps, keys sorted: what "identical" means for a restore. */
export function comparable(value: Record<string, unknown>): string {
  const strip = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(strip);
    if (v && typeof v === 'object') {
      return Object.fromEntries(
        Object.entries(v as Record<string, unknown>)
          .filter(([k]) => !VOLATILE.has(k))
          .sort(([a], [b]) => a.localeCompare(b))
          .map(([k, x]) => [k, strip(x)]),
      );
    }
    return v;
  };
  return JSON.stringify(strip(value));
}

export type RestoreTrunkAction =
  | { kind: 'recreate_trunk'; oldId: string; trunk: InboundTrunk }
  | { kind: 'replace_trunk'; id: string; trunk: InboundTrunk };
export type RestoreRuleAction =
  | { kind: 'recreate_rule'; oldId: string; rule: DispatchRule }
  | { kind: 'replace_rule'; id: string; rule: DispatchRule };

/**
 * Trunks to recreate or put back. A trunk that is gone but has an identical twin (an earlier
 * restore) is not recreated again: `trunkIds` maps its old id to the twin's.
 */
export function planRestoreTrunks(
  backup: SipBackup,
  live: readonly InboundTrunk[],
): { actions: RestoreTrunkAction[]; trunkIds: Map<string, string> } {
  const actions: RestoreTrunkAction[] = [];
  const trunkIds = new Map<string, string>();
  for (const trunk of backup.trunks) {
    const id = trunk.sipTrunkId!;
    const current = live.find((t) => t.sipTrunkId === id);
    const twin = current ? undefined : live.find((t) => comparable(t) === comparable(trunk));
    if (twin) trunkIds.set(id, twin.sipTrunkId!);
    else if (!current) actions.push({ kind: 'recreate_trunk', oldId: id, trunk });
    else if (comparable(current) !== comparable(trunk)) actions.push({ kind: 'replace_trunk', id, trunk });
  }
  return { actions, trunkIds };
}

/** `trunkIds` maps backed-up trunk ids to the ids they have now (recreated trunks get new ones). */
export function planRestoreRules(
  backup: SipBackup,
  live: readonly DispatchRule[],
  trunkIds: ReadonlyMap<string, string>,
): RestoreRuleAction[] {
  const actions: RestoreRuleAction[] = [];
  for (const original of backup.rules) {
    const rule: DispatchRule = { ...original, trunkIds: (original.trunkIds ?? []).map((id) => trunkIds.get(id) ?? id) };
    const id = original.sipDispatchRuleId!;
    const current = live.find((r) => r.sipDispatchRuleId === id);
    if (!current && live.some((r) => comparable(r) === comparable(rule))) continue; // restored before
    if (!current) actions.push({ kind: 'recreate_rule', oldId: id, rule });
    else if (comparable(current) !== comparable(rule)) actions.push({ kind: 'replace_rule', id, rule });
  }
  return actions;
}
