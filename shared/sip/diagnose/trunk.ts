// Findings about inbound trunks: missing, excluding our numbers, conflicting, too open.
import { admitsEveryAddress, isValidAddressMask } from '../addresses.ts';
import { finding, type Finding } from '../findings.ts';
import { trunkLabel } from '../labels.ts';
import { normalizeTrunkNumber } from '../numbers.ts';
import type { InboundTrunk } from '../types.ts';
import { matchTrunk } from './routing.ts';

const list = (values: readonly string[] | undefined) => JSON.stringify(values ?? []);

export function diagnoseTrunks(trunks: readonly InboundTrunk[], numbers: readonly string[]): Finding[] {
  if (trunks.length === 0) {
    return [
      finding(
        'trunk_missing',
        'inbound trunks',
        "There is no SIP inbound trunk: LiveKit has nothing to accept SignalWire's calls with, so every call fails.",
      ),
    ];
  }
  const out: Finding[] = [];
  const ours = new Set(numbers.map(normalizeTrunkNumber));
  for (const trunk of trunks) {
    const id = trunk.sipTrunkId ?? '';
    const allowedNumbers = trunk.allowedNumbers ?? [];
    if (allowedNumbers.length > 0) {
      const dialed = allowedNumbers.filter((n) => ours.has(normalizeTrunkNumber(n)));
      if (dialed.length > 0) {
        out.push(
          finding(
            'trunk_allowed_numbers_are_dialed_numbers',
            id,
            `Trunk ${trunkLabel(trunk)} lists your own numbers (${dialed.join(', ')}) in allowedNumbers, which filters the CALLER: only calls made from those numbers get through, everyone else is refused.`,
          ),
        );
      } else {
        out.push(
          finding(
            'trunk_allowed_numbers_restrict_callers',
            id,
            `Trunk ${trunkLabel(trunk)} only admits callers ${list(allowedNumbers)}; calls from any other number skip this trunk.`,
          ),
        );
      }
    }
    const invalid = (trunk.allowedAddresses ?? []).filter((m) => !isValidAddressMask(m));
    if (invalid.length > 0) {
      out.push(
        finding(
          'trunk_invalid_address',
          id,
          `Trunk ${trunkLabel(trunk)} has allowed addresses LiveKit silently ignores: ${list(invalid)}.`,
        ),
      );
    }
    if (admitsEveryAddress(trunk.allowedAddresses) && !trunk.authUsername) {
      out.push(
        finding(
          'trunk_open_to_all',
          id,
          `Trunk ${trunkLabel(trunk)} accepts calls from any address with no credentials (allowedAddresses ${list(trunk.allowedAddresses)}): anyone on the internet can reach your agent and run up provider costs (toll-fraud risk).`,
        ),
      );
    }
    if (trunk.authUsername) {
      out.push(
        finding(
          'trunk_requires_auth',
          id,
          `Trunk ${trunkLabel(trunk)} requires digest credentials (user ${trunk.authUsername}); LiveKit answers 407 until SignalWire sends them.`,
        ),
      );
    }
  }
  const wildcards = trunks.filter((t) => (t.numbers ?? []).length === 0 && (t.allowedNumbers ?? []).length === 0);
  if (wildcards.length > 1) {
    out.push(
      finding(
        'trunk_conflict',
        wildcards.map((t) => t.sipTrunkId).join(', '),
        `Trunks ${wildcards.map(trunkLabel).join(' and ')} both take any number from any caller: LiveKit cannot choose and answers 503 "Try again later" to calls no other trunk lists.`,
      ),
    );
  }
  for (const number of numbers) {
    const match = matchTrunk(trunks, number);
    if (match.conflicting.length > 1 && match.conflicting.some((t) => (t.numbers ?? []).length > 0)) {
      out.push(
        finding(
          'trunk_conflict',
          number,
          `Calls to ${number} match trunks ${match.conflicting.map(trunkLabel).join(' and ')}: LiveKit answers 503 "Try again later".`,
        ),
      );
    } else if (!match.trunk && match.conflicting.length === 0) {
      const why = trunks
        .map((t) =>
          (t.allowedNumbers ?? []).length > 0
            ? `${trunkLabel(t)} admits only callers ${list(t.allowedNumbers)}`
            : `${trunkLabel(t)} lists only ${list(t.numbers)}`,
        )
        .join('; ');
      out.push(
        finding(
          'trunk_excludes_number',
          number,
          `Calls to ${number} match no trunk (${why}). Only a wildcard dispatch rule could still take them; otherwise they are dropped.`,
        ),
      );
    }
  }
  return out;
}
