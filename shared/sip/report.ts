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
  /** ok (exit 0), warn (exit 1), fail (exit 2). */
  result: 'ok' | 'warn' | 'fail';
  counts: { fail: number; warn: number; info: number };
  stages: StageReport[];
  findings: Finding[];
}

export function buildReport(snapshot: SipSnapshot, findings: Finding[]): SipReport {
  const summaries = summarize(snapshot);
  const stages = STAGES.map(({ stage, title }) => {
    const own = findings.filter((f) => f.stage === stage);
    const status: StageReport['status'] = own.some((f) => f.status === 'unknown')
      ? 'unknown'
      : own.some((f) => f.severity === 'fail') ? 'fail'
      : own.some((f) => f.severity === 'warn') ? 'warn'
      : own.length > 0 ? 'info' : 'ok';
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
    stages,
    findings,
  };
}

const COLOURS = { red: '\u001b[31m', yellow: '\u001b[33m', green: '\u001b[32m', cyan: '\u001b[36m', dim: '\u001b[2m', bold: '\u001b[1m', reset: '\u001b[0m' };
type Colour = keyof typeof COLOURS;

const MARK = { ok: ['ok', 'green'], info: ['info', 'cyan'], warn: ['WARN', 'yellow'], fail: ['FAIL', 'red'], unknown: ['????', 'yellow'] } as const;

export function renderReport(report: SipReport, options: { colour?: boolean } = {}): string {
  const paint = (colour: Colour, text: string) => (options.colour ? `${COLOURS[colour]}${text}${COLOURS.reset}` : text);
  const lines: string[] = [paint('bold', `Switchboard SIP doctor (${report.takenAt})`), ''];
  for (const stage of report.stages) {
    const [label, colour] = MARK[stage.status];
    lines.push(`${paint(colour, `[${label.padEnd(4)}]`)} ${paint('bold', stage.title)} ${paint('dim', `- ${stage.summary}`)}`);
    for (const f of stage.findings) {
      const [mark, c] = f.status === 'unknown' ? MARK.unknown : MARK[f.severity];
      lines.push(`  ${paint(c, mark.padEnd(4))} ${f.code} (${f.subject})`);
      lines.push(`       ${f.message}`);
      lines.push(`       ${paint('dim', `fix: ${f.fix}`)}`);
    }
  }
  const { fail, warn, info } = report.counts;
  lines.push('');
  lines.push(report.result === 'ok'
    ? paint('green', `All clear: ${info} note(s).`)
    : paint(report.result === 'fail' ? 'red' : 'yellow', `${fail} failure(s), ${warn} warning(s), ${info} note(s).`));
  return lines.join('\n');
}

function summarize(s: SipSnapshot): Record<Stage, string> {
  const lk = s.livekit.status === 'ok' ? s.livekit : null;
  const notRead = 'not read';
  const db = s.database.status === 'ok' ? s.database : null;
  const worker = s.worker;
  return {
    pstn: db ? `${db.phoneNumbers.length} number(s) in phone_numbers, ${db.phoneNumbers.filter((n) => !n.agent_config_id).length} without a config` : notRead,
    trunk: lk
      ? lk.trunks.length === 0 ? 'no inbound trunk' : lk.trunks.map((t) => `${trunkLabel(t)}: ${(t.numbers ?? []).length ? `${t.numbers!.length} number(s)` : 'any number'}, ${t.authUsername ? 'credentials' : `${(t.allowedAddresses ?? []).length} allowed address(es)`}`).join('; ')
      : notRead,
    dispatch_rule: lk
      ? lk.rules.length === 0 ? 'no dispatch rule' : lk.rules.map((r) => `${ruleLabel(r)} -> ${(r.trunkIds ?? []).length ? (r.trunkIds ?? []).join(', ') : 'every trunk (wildcard)'}`).join('; ')
      : notRead,
    room: `rooms named ${s.desired.roomPrefix}_<caller>_<random>, one per call`,
    agent: worker.status === 'ok'
      ? `expects ${JSON.stringify(s.expectedAgentName)}; worker at ${worker.url} registered ${worker.info ? JSON.stringify(worker.info.agent_name) : '(unknown)'}, ${worker.health.httpStatus === 200 ? 'connected' : 'not connected'}`
      : `expects ${JSON.stringify(s.expectedAgentName)}; worker at ${worker.url} not reachable`,
    providers: s.providerKeys === null ? 'not checked here' : `set: ${Object.entries(s.providerKeys).filter(([, set]) => set).map(([k]) => k).join(', ') || 'none'}`,
  };
}
