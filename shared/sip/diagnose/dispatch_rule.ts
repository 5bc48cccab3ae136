// Findings about dispatch rules: missing for a trunk, wildcard, the exact-match number filters,
// conflicts, PINs, hidden numbers, shared rooms, room prefix, and the agent they dispatch.
import { finding, type Finding } from '../findings.ts';
import { ruleLabel, trunkLabel } from '../labels.ts';
import { isCompleteNumber } from '../numbers.ts';
import type { DispatchRule, InboundTrunk } from '../types.ts';
import { isWildcardRule, matchRule, matchTrunk, rulePin, rulesForTrunk } from './routing.ts';

export interface RuleContext {
  trunks: readonly InboundTrunk[];
  rules: readonly DispatchRule[];
  numbers: readonly string[];
  expectedAgentName: string;
  roomPrefix: string;
}

const list = (values: readonly string[] | undefined) => JSON.stringify(values ?? []);

export function diagnoseRules(ctx: RuleContext): Finding[] {
  const out: Finding[] = [];
  for (const rule of ctx.rules) out.push(...diagnoseOneRule(rule, ctx));
  out.push(...diagnoseConflicts(ctx.rules));

  const missing = new Set<string>();
  for (const trunk of ctx.trunks) {
    const { specific, wildcard } = rulesForTrunk(ctx.rules, trunk.sipTrunkId ?? null);
    if (specific.length === 0 && wildcard.length === 0) {
      missing.add(trunk.sipTrunkId ?? '');
      out.push(
        finding(
          'rule_missing',
          trunk.sipTrunkId ?? '',
          `No dispatch rule takes calls arriving on trunk ${trunkLabel(trunk)}: LiveKit drops each INVITE silently (SignalWire sees 100 Trying, then a timeout).`,
        ),
      );
    }
  }
  for (const number of ctx.numbers) {
    const { trunk } = matchTrunk(ctx.trunks, number);
    const trunkId = trunk?.sipTrunkId ?? null;
    if (trunkId && missing.has(trunkId)) continue;
    if (!trunk && !ctx.rules.some(isWildcardRule)) continue; // trunk_excludes_number covers it
    if (matchRule(ctx.rules, trunkId, number) === null) {
      const { specific, wildcard } = rulesForTrunk(ctx.rules, trunkId);
      const why = [...specific, ...wildcard]
        .map((r) => `${ruleLabel(r)} admits callers ${list(r.inboundNumbers)} and dialed numbers ${list(r.numbers)}`)
        .join('; ');
      out.push(
        finding(
          'number_dropped',
          number,
          `A typical call to ${number} matches no dispatch rule (${why || 'no rules'}), so LiveKit drops it silently.`,
        ),
      );
    }
  }
  return out;
}

function diagnoseOneRule(rule: DispatchRule, ctx: RuleContext): Finding[] {
  const out: Finding[] = [];
  const id = rule.sipDispatchRuleId ?? '';
  const label = ruleLabel(rule);
  if (isWildcardRule(rule)) {
    out.push(
      finding(
        'rule_wildcard',
        id,
        `Rule ${label} has no trunkIds, so it takes calls on every trunk and calls that matched no trunk at all (scanners included; their rooms show sip.trunkID "").`,
      ),
    );
  }
  const inbound = rule.inboundNumbers ?? [];
  const partial = inbound.filter((n) => !isCompleteNumber(n));
  if (partial.length > 0) {
    out.push(
      finding(
        'rule_inbound_numbers_prefix',
        id,
        `Rule ${label} has inboundNumbers ${list(inbound)}. LiveKit compares the caller's number by exact string, so ${JSON.stringify(partial[0])} admits only a caller whose number is literally ${JSON.stringify(partial[0])}: real callers are dropped.`,
      ),
    );
  } else if (inbound.length > 0) {
    out.push(
      finding(
        'rule_inbound_numbers_restrict_callers',
        id,
        `Rule ${label} admits only callers ${list(inbound)} (exact strings); every other caller is dropped unless another rule takes them.`,
      ),
    );
  }
  const numbers = rule.numbers ?? [];
  if (numbers.length > 0) {
    const served = ctx.numbers.filter((n) => {
      const trunkId = matchTrunk(ctx.trunks, n).trunk?.sipTrunkId;
      return isWildcardRule(rule) || (trunkId !== undefined && (rule.trunkIds ?? []).includes(trunkId));
    });
    for (const number of served.filter((n) => !numbers.includes(n))) {
      out.push(
        finding(
          'rule_numbers_exclude_number',
          `${id} ${number}`,
          `Rule ${label} admits only dialed numbers ${list(numbers)} (exact strings), not ${number}.`,
        ),
      );
    }
  }
  if (rulePin(rule) !== '') {
    out.push(
      finding('rule_pin_required', id, `Rule ${label} requires a PIN: callers must type it before anyone answers.`),
    );
  }
  if (rule.hidePhoneNumber) {
    out.push(
      finding(
        'rule_hides_phone_number',
        id,
        `Rule ${label} hides phone numbers: the agent gets no sip.trunkPhoneNumber, cannot tell which number was dialed and answers with the default config.`,
      ),
    );
  }
  const kind = rule.rule ?? {};
  if (kind.dispatchRuleDirect) {
    out.push(
      finding(
        'rule_shared_room',
        id,
        `Rule ${label} sends every call into the one room ${JSON.stringify(kind.dispatchRuleDirect.roomName ?? '')}: callers hear each other and one agent.`,
      ),
    );
  } else if (kind.dispatchRuleCallee && !kind.dispatchRuleCallee.randomize) {
    out.push(
      finding(
        'rule_shared_room',
        id,
        `Rule ${label} makes one room per dialed number without randomize: simultaneous callers of the same number share a room.`,
      ),
    );
  }
  const prefix = kind.dispatchRuleIndividual?.roomPrefix ?? kind.dispatchRuleCallee?.roomPrefix;
  if (prefix !== undefined || kind.dispatchRuleIndividual) {
    if ((prefix ?? '') !== ctx.roomPrefix) {
      out.push(
        finding(
          'rule_room_prefix_changed',
          id,
          `Rule ${label} names rooms with prefix ${JSON.stringify(prefix ?? '')}, not ${JSON.stringify(ctx.roomPrefix)} from telephony.json: tools that find call rooms by prefix miss them.`,
        ),
      );
    }
  }
  out.push(...diagnoseRuleAgent(rule, ctx.expectedAgentName));
  return out;
}

function diagnoseRuleAgent(rule: DispatchRule, expected: string): Finding[] {
  const id = rule.sipDispatchRuleId ?? '';
  const names = (rule.roomConfig?.agents ?? []).map((a) => a.agentName ?? '');
  if (names.length === 0) {
    return [
      finding(
        'rule_no_agent',
        id,
        `Rule ${ruleLabel(rule)} dispatches no agent: rooms are created but nobody answers, callers hear ringing for up to 3 minutes, then busy (486).`,
      ),
    ];
  }
  if (names.includes(expected)) return [];
  const near = names.find((n) => n.trim().toLowerCase() === expected.trim().toLowerCase());
  const detail =
    near !== undefined
      ? `${JSON.stringify(near)} differs from ${JSON.stringify(expected)} only in letter case or spaces, and LiveKit matches names exactly`
      : `it dispatches ${names.map((n) => JSON.stringify(n)).join(', ')}, the worker registers ${JSON.stringify(expected)}`;
  return [
    finding(
      'rule_agent_name_mismatch',
      id,
      `Rule ${ruleLabel(rule)} dispatches the wrong agent name: ${detail}. No worker takes the job; callers ring for up to 3 minutes, then busy.`,
    ),
  ];
}

/** Two rules with the same (pin, trunk, caller number, dialed number) key: LiveKit refuses to pick. */
function diagnoseConflicts(rules: readonly DispatchRule[]): Finding[] {
  const seen = new Map<string, DispatchRule>();
  const out: Finding[] = [];
  const reported = new Set<string>();
  for (const rule of rules) {
    if (!rule.rule) continue;
    const trunks = (rule.trunkIds ?? []).length > 0 ? rule.trunkIds! : [''];
    const inbound = (rule.inboundNumbers ?? []).length > 0 ? rule.inboundNumbers! : [''];
    const numbers = (rule.numbers ?? []).length > 0 ? rule.numbers! : [''];
    for (const trunk of trunks)
      for (const from of inbound)
        for (const to of numbers) {
          const key = JSON.stringify([rulePin(rule), trunk, from, to]);
          const other = seen.get(key);
          if (other && other !== rule) {
            const pair = [other.sipDispatchRuleId, rule.sipDispatchRuleId].sort().join(', ');
            if (!reported.has(pair)) {
              reported.add(pair);
              out.push(
                finding(
                  'rule_conflict',
                  pair,
                  `Rules ${ruleLabel(other)} and ${ruleLabel(rule)} both claim the same calls on ${trunk ? `trunk ${trunk}` : 'every trunk'}: LiveKit rejects such calls as a conflict.`,
                ),
              );
            }
          } else {
            seen.set(key, rule);
          }
        }
  }
  return out;
}
