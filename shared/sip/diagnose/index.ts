// diagnose(snapshot) -> findings along the call path. Pure: everything it needs is in the snapshot.
import { finding, type Finding, STAGES } from '../findings.ts';
import type { SipSnapshot } from '../types.ts';
import { diagnoseConfigIssues, diagnoseWorker } from './agent.ts';
import { diagnoseRules } from './dispatch_rule.ts';
import { diagnoseProviderKeys } from './providers.ts';
import { diagnoseTrunks } from './trunk.ts';

export function diagnose(snapshot: SipSnapshot): Finding[] {
  const out: Finding[] = [];
  let numbers: string[] = [];
  if (snapshot.database.status === 'unknown') {
    out.push(
      finding(
        'database_unreachable',
        'database',
        `Could not read phone_numbers and config_issues (${snapshot.database.reason}); numbers are not checked against the trunk and rules.`,
        { status: 'unknown' },
      ),
    );
  } else {
    const rows = snapshot.database.phoneNumbers;
    numbers = rows.map((r) => r.e164);
    if (rows.length === 0) {
      out.push(
        finding(
          'no_phone_numbers',
          'phone_numbers',
          'public.phone_numbers is empty: no number is set up to reach an agent.',
        ),
      );
    }
    for (const row of rows.filter((r) => r.agent_config_id === null)) {
      out.push(
        finding(
          'number_without_config',
          row.e164,
          `${row.e164}${row.label ? ` (${row.label})` : ''} has no agent config, so its callers never reach their owner's agent.`,
        ),
      );
    }
    out.push(...diagnoseConfigIssues(snapshot.database.configIssues));
  }

  if (snapshot.livekit.status === 'unknown') {
    out.push(
      finding(
        'livekit_unreachable',
        'LiveKit API',
        `Could not read the trunks and dispatch rules: ${snapshot.livekit.reason}`,
        { status: 'unknown' },
      ),
    );
  } else {
    const { trunks, rules } = snapshot.livekit;
    out.push(...diagnoseTrunks(trunks, numbers));
    out.push(
      ...diagnoseRules({
        trunks,
        rules,
        numbers,
        expectedAgentName: snapshot.expectedAgentName,
        roomPrefix: snapshot.desired.roomPrefix,
      }),
    );
  }
  out.push(...diagnoseWorker(snapshot.worker, snapshot.expectedAgentName));
  out.push(...diagnoseProviderKeys(snapshot.providerKeys));
  return sortByStage(out);
}

const SEVERITY_ORDER = { fail: 0, warn: 1, info: 2 } as const;

export function sortByStage(findings: Finding[]): Finding[] {
  const stageIndex = (f: Finding) => STAGES.findIndex((s) => s.stage === f.stage);
  return findings
    .map((f, i) => ({ f, i }))
    .sort(
      (a, b) =>
        stageIndex(a.f) - stageIndex(b.f) || SEVERITY_ORDER[a.f.severity] - SEVERITY_ORDER[b.f.severity] || a.i - b.i,
    )
    .map(({ f }) => f);
}
