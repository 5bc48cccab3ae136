// LiveKit's routing of one INVITE (livekit.md §3.3), for "a typical caller": someone whose number
// is in no allow list. Used to tell, per number in phone_numbers, which trunk and rule take it.
import { ruleListAdmits, trunkListAdmits } from '../numbers.ts';
import type { DispatchRule, InboundTrunk } from '../types.ts';

export interface TrunkMatch {
  /** The trunk LiveKit picks, or null (the call continues with no trunk). */
  trunk: InboundTrunk | null;
  /** More than one trunk at the best level: LiveKit answers 503. */
  conflicting: InboundTrunk[];
}

/** Trunk for a call to `called` from a typical caller (source address assumed allowed). */
export function matchTrunk(trunks: readonly InboundTrunk[], called: string): TrunkMatch {
  const usable = trunks.filter((t) => (t.allowedNumbers ?? []).length === 0);
  const specific = usable.filter((t) => (t.numbers ?? []).length > 0 && trunkListAdmits(t.numbers, called));
  if (specific.length > 0)
    return { trunk: specific.length === 1 ? specific[0]! : null, conflicting: specific.length > 1 ? specific : [] };
  const wildcard = usable.filter((t) => (t.numbers ?? []).length === 0);
  if (wildcard.length > 1) return { trunk: null, conflicting: wildcard };
  return { trunk: wildcard[0] ?? null, conflicting: [] };
}

export function rulePin(rule: DispatchRule): string {
  const r = rule.rule;
  return r?.dispatchRuleIndividual?.pin ?? r?.dispatchRuleDirect?.pin ?? r?.dispatchRuleCallee?.pin ?? '';
}

export function isWildcardRule(rule: DispatchRule): boolean {
  return (rule.trunkIds ?? []).length === 0;
}

/** Rules that could take calls arriving on `trunkId` (specific ones, else wildcard ones). */
export function rulesForTrunk(
  rules: readonly DispatchRule[],
  trunkId: string | null,
): { specific: DispatchRule[]; wildcard: DispatchRule[] } {
  return {
    specific: trunkId ? rules.filter((r) => (r.trunkIds ?? []).includes(trunkId)) : [],
    wildcard: rules.filter(isWildcardRule),
  };
}

/** The rule LiveKit picks for a typical caller dialing `called` on `trunkId`, or null (dropped). */
export function matchRule(
  rules: readonly DispatchRule[],
  trunkId: string | null,
  called: string,
  caller = '',
): DispatchRule | null {
  const admits = (r: DispatchRule) =>
    r.rule !== undefined && ruleListAdmits(r.inboundNumbers, caller) && ruleListAdmits(r.numbers, called);
  const { specific, wildcard } = rulesForTrunk(rules, trunkId);
  const pick = (list: DispatchRule[]) =>
    list.filter(admits).sort((a, b) => rulePriority(a) - rulePriority(b))[0] ?? null;
  return pick(specific) ?? pick(wildcard);
}

/** protocol sip.go DispatchRulePriority: lower wins. */
export function rulePriority(rule: DispatchRule): number {
  const r = rule.rule ?? {};
  const pinned = rulePin(rule) !== '';
  let priority = r.dispatchRuleDirect ? 0 : r.dispatchRuleIndividual ? 1 : r.dispatchRuleCallee ? 2 : 1_000_000;
  if (!pinned) priority += 100;
  if ((rule.inboundNumbers ?? []).length === 0) priority += 1000;
  if ((rule.numbers ?? []).length === 0) priority += 1000;
  return priority;
}
