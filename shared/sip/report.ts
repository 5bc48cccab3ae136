// The doctor's report: findings grouped along the call path (PSTN -> trunk -> dispatch rule ->
// room -> agent -> providers), as JSON for machines or text for people (colour optional).
import { type Finding, STAGES, type Stage, worstSeverity } from './findings.ts';
import { ruleLabel, trunkLabel } from './labels.ts';
import type { SipSnapshot } from './types.ts';

export interface StageReport {
  stage: Stage;
  title: string;
  /** ok: nothing found; unknown: a part could not be read; else the worst severity. */
  status: 'ok' | 'info' | 'warn' | 'fail' | 'unknown';
  /** What was looked at, in one line (counts and ids; no phone numbers). */
  summary: string;
  findings: Finding[];
}

export interface SipReport {
  takenAt: string;
  /** The worst severity found: ok, warn or fail. A stage that could not be read is in `unknownStages`, not here. */
  result: 'ok' | 'warn' | 'fail';
  counts: { fail: number; warn: number; info: number };
  /** Stages that could not be checked (status `unknown`), in call-path order: "ok" says nothing about them. */
  unknownStages: Stage[];
  stages: StageReport[];
  findings: Finding[];
}

export function buildReport(snapshot: SipSnapshot, findings: Finding[]): SipReport {
  const summaries = summarize(snapshot);
  const unread = unreadStages(snapshot);
  const stages = STAGES.map(({ stage, title }) => {
    const own = findings.filter((f) => f.stage === stage);
    // A stage whose source was not read has nothing to be ok about, even with no findings of its own.
    const status: StageReport['status'] =
      unread.has(stage) || own.some((f) => f.status === 'unknown')
        ? 'unknown'
        : own.some((f) => f.severity === 'fail')
          ? 'fail'
          : own.some((f) => f.severity === 'warn')
            ? 'warn'
            : own.length > 0
              ? 'info'
              : 'ok';
    return { stage, title, status, summary: summaries[stage], findings: own };
  });
  return {
    takenAt: snapshot.takenAt,
    result: worstSeverity(findings),
    counts: {
      fail: findings.filter((f) => f.severity === 'fail').length,
      warn: findings.filter((f) => f.severity === 'warn').length,
      info: findings.filter((f) => f.severity === 'info').length,
    },
    unknownStages: stages.filter((s) => s.status === 'unknown').map((s) => s.stage),
    stages,
    findings,
  };
}

/** Stages that read nothing because their source could not be read. */
function unreadStages(s: SipSnapshot): Set<Stage> {
  const out = new Set<Stage>();
  if (s.database.status === 'unknown') out.add('pstn');
  // Trunks, rules and the rooms the rules create all come from the one LiveKit read.
  if (s.livekit.status === 'unknown') for (const stage of ['trunk', 'dispatch_rule', 'room'] as const) out.add(stage);
  if (s.worker.status === 'unknown') out.add('agent');
  if (s.providerKeys === null) out.add('providers');
  return out;
}

/** The styles the report uses; the caller paints them (the CLI with util.styleText), or not. */
export type ReportStyle = 'red' | 'yellow' | 'green' | 'cyan' | 'dim' | 'bold';
export type Painter = (style: ReportStyle, text: string) => string;

const MARK = {
  ok: ['ok', 'green'],
  info: ['info', 'cyan'],
  warn: ['WARN', 'yellow'],
  fail: ['FAIL', 'red'],
  unknown: ['????', 'yellow'],
} as const;

export function renderReport(report: SipReport, options: { paint?: Painter } = {}): string {
  const paint: Painter = options.paint ?? ((_style, text) => text);
  const lines: string[] = [paint('bold', `Switchboard SIP doctor (${report.takenAt})`), ''];
  for (const stage of report.stages) {
    const [label, colour] = MARK[stage.status];
    lines.push(
      `${paint(colour, `[${label.padEnd(4)}]`)} ${paint('bold', stage.title)} ${paint('dim', `- ${stage.summary}`)}`,
    );
    for (const f of stage.findings) {
      const [mark, c] = f.status === 'unknown' ? MARK.unknown : MARK[f.severity];
      lines.push(`  ${paint(c, mark.padEnd(4))} ${f.code} (${f.subject})`);
      lines.push(`       ${f.message}`);
      lines.push(`       ${paint('dim', `fix: ${f.fix}`)}`);
    }
  }
  const { fail, warn, info } = report.counts;
  const titles = report.stages.filter((s) => s.status === 'unknown').map((s) => s.title);
  const notChecked = titles.length > 0 ? ` ${titles.length} stage(s) not checked: ${titles.join(', ')}.` : '';
  lines.push('');
  if (report.result === 'ok' && titles.length === 0) lines.push(paint('green', `All clear: ${info} note(s).`));
  else if (report.result === 'ok')
    lines.push(paint('yellow', `Nothing wrong in what could be read, ${info} note(s).${notChecked}`));
  else
    lines.push(
      paint(
        report.result === 'fail' ? 'red' : 'yellow',
        `${fail} failure(s), ${warn} warning(s), ${info} note(s).${notChecked}`,
      ),
    );
  return lines.join('\n');
}

function summarize(s: SipSnapshot): Record<Stage, string> {
  const lk = s.livekit.status === 'ok' ? s.livekit : null;
  const db = s.database.status === 'ok' ? s.database : null;
  const notRead = (part: string) => `not read: ${part} could not be read`;
  const worker = s.worker;
  return {
    pstn: db
      ? `${db.phoneNumbers.length} number(s) in phone_numbers, ${db.phoneNumbers.filter((n) => !n.agent_config_id).length} without a config`
      : notRead('the database'),
    trunk: lk
      ? lk.trunks.length === 0
        ? 'no inbound trunk'
        : lk.trunks
            .map(
              (t) =>
                `${trunkLabel(t)}: ${(t.numbers ?? []).length ? `${t.numbers!.length} number(s)` : 'any number'}, ${t.authUsername ? 'credentials' : `${(t.allowedAddresses ?? []).length} allowed address(es)`}`,
            )
            .join('; ')
      : notRead('LiveKit'),
    dispatch_rule: lk
      ? lk.rules.length === 0
        ? 'no dispatch rule'
        : lk.rules
            .map(
              (r) =>
                `${ruleLabel(r)} -> ${(r.trunkIds ?? []).length ? (r.trunkIds ?? []).join(', ') : 'every trunk (wildcard)'}`,
            )
            .join('; ')
      : notRead('LiveKit'),
    room: lk ? `rooms named ${s.desired.roomPrefix}_<caller>_<random>, one per call` : notRead('LiveKit'),
    agent:
      (worker.status === 'ok'
        ? `expects ${JSON.stringify(s.expectedAgentName)}; worker at ${worker.url} registered ${worker.info ? JSON.stringify(worker.info.agent_name) : '(unknown)'}, ${worker.health.httpStatus === 200 ? 'connected' : 'not connected'}`
        : `expects ${JSON.stringify(s.expectedAgentName)}; worker at ${worker.url} not reachable`) +
      (lk ? '' : "; the rules' agent names not read (LiveKit)"),
    providers:
      s.providerKeys === null
        ? 'not checked here'
        : `set: ${
            Object.entries(s.providerKeys)
              .filter(([, set]) => set)
              .map(([k]) => k)
              .join(', ') || 'none'
          }`,
  };
}
