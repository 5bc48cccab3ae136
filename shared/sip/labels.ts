// How reports and plans name a trunk or rule: its id and, when it has one, its name.
import type { DispatchRule, InboundTrunk } from './types.ts';

export function trunkLabel(t: InboundTrunk): string {
  return t.name ? `${t.sipTrunkId} "${t.name}"` : String(t.sipTrunkId);
}

export function ruleLabel(r: DispatchRule): string {
  return r.name ? `${r.sipDispatchRuleId} "${r.name}"` : String(r.sipDispatchRuleId);
}
