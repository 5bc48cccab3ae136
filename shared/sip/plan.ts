// plan: desired (telephony.json) vs live (LiveKit). Only the fields Switchboard manages are
// compared and written; every other field of a live object is kept (read-modify-write), and
// nothing is deleted unless the caller asks to prune.
import { AppError } from '../errors.ts';
import type { DesiredState } from './desired.ts';
import { rulePin } from './diagnose/routing.ts';
import { ruleLabel, trunkLabel } from './labels.ts';
import type { DispatchRule, InboundTrunk } from './types.ts';

export interface FieldChange {
  field: string;
  from: unknown;
  to: unknown;
}

export type PlanAction =
  | { kind: 'create_trunk'; trunk: InboundTrunk }
  | { kind: 'update_trunk'; id: string; label: string; changes: FieldChange[]; adopted: boolean }
  | { kind: 'create_rule'; rule: DispatchRule }
  | { kind: 'update_rule'; id: string; label: string; changes: FieldChange[]; adopted: boolean }
  | { kind: 'delete_rule'; id: string; label: string }
  | { kind: 'delete_trunk'; id: string; label: string };

export interface Plan {
  actions: PlanAction[];
  /** Live objects Switchboard does not manage (kept unless pruning). */
  unmanaged: { kind: 'trunk' | 'rule'; id: string; label: string }[];
  /** The managed trunk's id, or null when it is to be created. */
  trunkId: string | null;
  ruleId: string | null;
}

type Normalizer = (value: unknown) => unknown;
const asString: Normalizer = (v) => (typeof v === 'string' ? v : '');
const asBool: Normalizer = (v) => v === true;
const asSet: Normalizer = (v) => (Array.isArray(v) ? [...new Set(v.map(String))].sort() : []);
const asDurationMs: Normalizer = (v) => {
  if (typeof v !== 'string') return 0;
  const m = /^(-?\d+(?:\.\d+)?)s$/.exec(v);
  return m ? Math.round(Number(m[1]) * 1000) : v;
};
const asRuleKind: Normalizer = (v) => {
  const r = (v ?? {}) as DispatchRule['rule'] & object;
  if (r.dispatchRuleIndividual)
    return {
      individual: {
        roomPrefix: r.dispatchRuleIndividual.roomPrefix ?? '',
        pin: r.dispatchRuleIndividual.pin ?? '',
        noRandomness: r.dispatchRuleIndividual.noRandomness ?? false,
      },
    };
  if (r.dispatchRuleDirect)
    return { direct: { roomName: r.dispatchRuleDirect.roomName ?? '', pin: r.dispatchRuleDirect.pin ?? '' } };
  if (r.dispatchRuleCallee)
    return {
      callee: {
        roomPrefix: r.dispatchRuleCallee.roomPrefix ?? '',
        pin: r.dispatchRuleCallee.pin ?? '',
        randomize: r.dispatchRuleCallee.randomize ?? false,
      },
    };
  return null;
};
const asAgents: Normalizer = (v) => {
  const agents = (v as DispatchRule['roomConfig'])?.agents ?? [];
  return agents.map((a) => ({ agentName: a.agentName ?? '', metadata: a.metadata ?? '' }));
};

/** Managed fields and how to compare them. `roomConfig` compares (and writes) only `agents`. */
export const MANAGED_TRUNK_FIELDS: Record<string, Normalizer> = {
  name: asString,
  numbers: asSet,
  allowedAddresses: asSet,
  allowedNumbers: asSet,
  authUsername: asString,
  authPassword: asString,
  krispEnabled: asBool,
  ringingTimeout: asDurationMs,
};
export const MANAGED_RULE_FIELDS: Record<string, Normalizer> = {
  name: asString,
  trunkIds: asSet,
  rule: asRuleKind,
  hidePhoneNumber: asBool,
  inboundNumbers: asSet,
  numbers: asSet,
  roomConfig: asAgents,
};
const SECRET_FIELDS = new Set(['authPassword']);

const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

export function diffFields<T extends Record<string, unknown>>(
  live: T,
  desired: T,
  fields: Record<string, Normalizer>,
): FieldChange[] {
  const changes: FieldChange[] = [];
  for (const [field, normalize] of Object.entries(fields)) {
    const from = normalize(live[field]);
    const to = normalize(desired[field]);
    if (same(from, to)) continue;
    changes.push(
      SECRET_FIELDS.has(field)
        ? { field, from: from === '' ? '(empty)' : '(set)', to: to === '' ? '(empty)' : '(new value)' }
        : { field, from, to },
    );
  }
  return changes;
}

/** The live object with the managed fields taken from `desired`; everything else kept. */
export function mergeManaged<T extends Record<string, unknown>>(
  live: T,
  desired: T,
  fields: Record<string, Normalizer>,
): T {
  const next: Record<string, unknown> = { ...live };
  for (const field of Object.keys(fields)) {
    if (field === 'roomConfig') {
      const liveConfig = (live.roomConfig ?? {}) as Record<string, unknown>;
      next.roomConfig = { ...liveConfig, agents: (desired.roomConfig as DispatchRule['roomConfig'])?.agents ?? [] };
    } else if (desired[field] === undefined) {
      delete next[field];
    } else {
      next[field] = desired[field];
    }
  }
  return next as T;
}

/** Would LiveKit refuse to create `desired` next to `live` (protocol ValidateTrunks)? */
function trunksOverlap(a: InboundTrunk, b: InboundTrunk): boolean {
  if ((a.allowedNumbers ?? []).length > 0 || (b.allowedNumbers ?? []).length > 0) return false;
  const an = a.numbers ?? [];
  const bn = b.numbers ?? [];
  if (an.length === 0 || bn.length === 0) return an.length === 0 && bn.length === 0;
  return an.some((n) => bn.includes(n));
}

function isOpenRuleOn(rule: DispatchRule, trunkId: string): boolean {
  return (
    (rule.trunkIds ?? []).includes(trunkId) &&
    rulePin(rule) === '' &&
    (rule.inboundNumbers ?? []).length === 0 &&
    (rule.numbers ?? []).length === 0
  );
}

export function desiredRuleFor(desired: DesiredState, trunkId: string): DispatchRule {
  return { ...desired.rule, trunkIds: [trunkId] };
}

export function planChanges(
  desired: DesiredState,
  live: { trunks: readonly InboundTrunk[]; rules: readonly DispatchRule[] },
  options: { prune?: boolean } = {},
): Plan {
  const actions: PlanAction[] = [];
  const named = live.trunks.filter((t) => t.name === desired.trunk.name);
  if (named.length > 1) {
    throw new AppError(
      'invalid_config',
      `${named.length} trunks are named ${JSON.stringify(desired.trunk.name)} (${named.map((t) => t.sipTrunkId).join(', ')}): delete the extras or rename one, then plan again.`,
    );
  }
  const overlapping = live.trunks.filter((t) => trunksOverlap(t, desired.trunk));
  const liveTrunk = named[0] ?? (overlapping.length === 1 ? overlapping[0] : undefined);
  const trunkId = liveTrunk?.sipTrunkId ?? null;

  const namedRules = live.rules.filter((r) => r.name === desired.rule.name);
  if (namedRules.length > 1) {
    throw new AppError(
      'invalid_config',
      `${namedRules.length} dispatch rules are named ${JSON.stringify(desired.rule.name)} (${namedRules.map((r) => r.sipDispatchRuleId).join(', ')}): delete the extras, then plan again.`,
    );
  }
  const openOnTrunk = trunkId ? live.rules.filter((r) => isOpenRuleOn(r, trunkId)) : [];
  const liveRule = namedRules[0] ?? (openOnTrunk.length === 1 ? openOnTrunk[0] : undefined);

  const unmanaged: Plan['unmanaged'] = [
    ...live.rules
      .filter((r) => r !== liveRule)
      .map((r) => ({ kind: 'rule' as const, id: r.sipDispatchRuleId ?? '', label: ruleLabel(r) })),
    ...live.trunks
      .filter((t) => t !== liveTrunk)
      .map((t) => ({ kind: 'trunk' as const, id: t.sipTrunkId ?? '', label: trunkLabel(t) })),
  ];
  if (options.prune) {
    for (const u of unmanaged)
      actions.push(
        u.kind === 'rule'
          ? { kind: 'delete_rule', id: u.id, label: u.label }
          : { kind: 'delete_trunk', id: u.id, label: u.label },
      );
  }

  if (!liveTrunk) {
    actions.push({ kind: 'create_trunk', trunk: desired.trunk });
  } else {
    const changes = diffFields(liveTrunk, desired.trunk, MANAGED_TRUNK_FIELDS);
    if (changes.length > 0)
      actions.push({
        kind: 'update_trunk',
        id: trunkId!,
        label: trunkLabel(liveTrunk),
        changes,
        adopted: named.length === 0,
      });
  }
  const wantedRule = desiredRuleFor(desired, trunkId ?? '(new trunk)');
  if (!liveRule) {
    actions.push({ kind: 'create_rule', rule: wantedRule });
  } else {
    const changes = diffFields(liveRule, wantedRule, MANAGED_RULE_FIELDS);
    if (changes.length > 0)
      actions.push({
        kind: 'update_rule',
        id: liveRule.sipDispatchRuleId ?? '',
        label: ruleLabel(liveRule),
        changes,
        adopted: namedRules.length === 0,
      });
  }
  return { actions, unmanaged: options.prune ? [] : unmanaged, trunkId, ruleId: liveRule?.sipDispatchRuleId ?? null };
}

const show = (v: unknown) => JSON.stringify(v);

export function renderPlan(plan: Plan): string {
  const lines: string[] = [];
  for (const a of plan.actions) {
    switch (a.kind) {
      case 'create_trunk':
        lines.push(
          `+ create trunk ${show(a.trunk.name)}: numbers ${show(a.trunk.numbers ?? [])}, allowedAddresses ${show(a.trunk.allowedAddresses ?? [])}, auth ${a.trunk.authUsername ? 'on' : 'off'}, ringingTimeout ${a.trunk.ringingTimeout ?? 'default'}`,
        );
        break;
      case 'create_rule':
        lines.push(
          `+ create dispatch rule ${show(a.rule.name)}: individual rooms ${show(a.rule.rule?.dispatchRuleIndividual?.roomPrefix)}, trunkIds ${show(a.rule.trunkIds)}, agent ${show(a.rule.roomConfig?.agents?.[0]?.agentName)}`,
        );
        break;
      case 'update_trunk':
      case 'update_rule':
        lines.push(
          `~ update ${a.kind === 'update_trunk' ? 'trunk' : 'dispatch rule'} ${a.label}${a.adopted ? ' (adopted: it is the object telephony.json describes)' : ''}`,
        );
        for (const c of a.changes) lines.push(`    ${c.field}: ${show(c.from)} -> ${show(c.to)}`);
        break;
      case 'delete_rule':
        lines.push(`- delete dispatch rule ${a.label}`);
        break;
      case 'delete_trunk':
        lines.push(`- delete trunk ${a.label}`);
        break;
    }
  }
  for (const u of plan.unmanaged)
    lines.push(`  keep unmanaged ${u.kind === 'rule' ? 'dispatch rule' : 'trunk'} ${u.label} (--prune deletes it)`);
  if (plan.actions.length === 0) lines.unshift('No changes: LiveKit matches telephony.json.');
  return lines.join('\n');
}
