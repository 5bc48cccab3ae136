// Findings about the worker (its health server's `/` and `/worker` answers) and about the agent
// configs the database flagged in config_issues.
import { finding, type Finding } from '../findings.ts';
import type { ConfigIssueRow, WorkerPart } from '../types.ts';

export function diagnoseWorker(worker: WorkerPart, expectedAgentName: string): Finding[] {
  if (worker.status === 'unknown') {
    return [
      finding(
        'worker_unreachable',
        worker.url,
        `The worker's health server at ${worker.url} did not answer (${worker.reason}). If no worker runs, callers ring for up to 3 minutes, then busy.`,
        { status: 'unknown' },
      ),
    ];
  }
  const out: Finding[] = [];
  if (worker.health.httpStatus !== 200) {
    out.push(
      finding(
        'worker_not_connected',
        worker.url,
        `The worker is running but not ready (HTTP ${worker.health.httpStatus}: ${worker.health.body.trim() || 'no reason given'}): it gets no jobs, so callers ring and then hear busy.`,
      ),
    );
  }
  if (!worker.info) {
    out.push(
      finding(
        'worker_unreachable',
        `${worker.url}/worker`,
        `The worker's health server answered / but not /worker, so its agent name is unknown.`,
        { status: 'unknown' },
      ),
    );
  } else if (worker.info.agent_name !== expectedAgentName) {
    const actual = worker.info.agent_name;
    const why =
      actual === ''
        ? 'registered with no agent name (automatic dispatch), so named dispatch rules never reach it'
        : actual.trim().toLowerCase() === expectedAgentName.trim().toLowerCase()
          ? `registered as ${JSON.stringify(actual)}, which differs from ${JSON.stringify(expectedAgentName)} only in letter case or spaces`
          : `registered as ${JSON.stringify(actual)}, not ${JSON.stringify(expectedAgentName)}`;
    out.push(
      finding(
        'worker_name_mismatch',
        worker.url,
        `The worker is ${why}${worker.info.agent_name_is_env ? ' (set by LIVEKIT_AGENT_NAME in its environment)' : ''}: dispatched calls wait for an agent that never comes.`,
      ),
    );
  }
  return out;
}

/** Open config_issues, except number_without_config, which the PSTN stage reports itself. */
export function diagnoseConfigIssues(issues: readonly ConfigIssueRow[]): Finding[] {
  return issues
    .filter((issue) => issue.code !== 'number_without_config')
    .map((issue) =>
      finding('config_issue_open', `${issue.subject_type} ${issue.subject_id}`, `${issue.code}: ${issue.message}`),
    );
}
