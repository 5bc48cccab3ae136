// How `npm run agents` prints: the owner's listing, and the database's refusals as the
// database wrote them (message, detail, hint are written for people; see the voice-ID rule).
import type { IssueRow, Listing } from './commands.ts';

const PROMPT_PREVIEW_CHARS = 70;

export function formatListing(listing: Listing): string[] {
  const lines = [`Owner ${listing.owner.email} (${listing.owner.id})`, ''];
  const issuesBySubject = new Map<string, IssueRow[]>();
  for (const issue of listing.issues) {
    const key = `${issue.subject_type}:${issue.subject_id}`;
    issuesBySubject.set(key, [...(issuesBySubject.get(key) ?? []), issue]);
  }

  lines.push(
    listing.configs.length === 0
      ? 'Configs: none yet. Create one with `npm run agents -- create --name <name>`.'
      : `Configs (${listing.configs.length})`,
  );
  for (const c of listing.configs) {
    lines.push(`  ${c.id}  ${c.name}  (version ${c.version})`);
    lines.push(`    voice     ${c.voice_name ?? 'not in the catalog'} (${c.voice_id})`);
    lines.push(`    greeting  ${c.greeting === '' ? '(none: waits for the caller to speak)' : quote(c.greeting)}`);
    lines.push(`    prompt    ${c.system_prompt.trim() === '' ? '(empty)' : quote(preview(c.system_prompt))}`);
    lines.push(`    transfer  ${c.transfer_number ?? 'off'}`);
    lines.push(
      `    model     ${c.llm_model}, language ${c.stt_language}, calls up to ${c.max_call_duration_ms} ms, hangs up after ${c.silence_timeout_ms} ms of silence`,
    );
    for (const issue of issuesBySubject.get(`agent_config:${c.id}`) ?? []) lines.push(issueLine(issue));
  }

  lines.push('');
  lines.push(
    listing.numbers.length === 0
      ? 'Numbers: none. The operator adds them with `npm run agents -- add-number <e164> --owner <email>`.'
      : `Numbers (${listing.numbers.length})`,
  );
  for (const n of listing.numbers) {
    const label = n.label === '' ? '' : `  ${n.label}`;
    const answers =
      n.agent_config_id === null
        ? 'nobody answers: pick a config with `npm run agents -- use-config <number> <config id>`'
        : `answered by ${n.config_name ?? 'a config that is not yours'} (${n.agent_config_id})`;
    lines.push(`  ${n.e164}${label}  → ${answers}`);
    for (const issue of issuesBySubject.get(`phone_number:${n.id}`) ?? []) lines.push(issueLine(issue));
  }
  return lines;
}

export function listingJson(listing: Listing): string {
  return JSON.stringify(listing, null, 2);
}

function issueLine(issue: IssueRow): string {
  return `    ${issue.severity === 'warning' ? 'warning' : 'problem'}   ${issue.code}: ${issue.message}`;
}

function preview(text: string): string {
  const oneLine = text.replace(/\s+/g, ' ').trim();
  return oneLine.length <= PROMPT_PREVIEW_CHARS ? oneLine : `${oneLine.slice(0, PROMPT_PREVIEW_CHARS - 1)}…`;
}

const quote = (text: string) => JSON.stringify(text);

interface DatabaseError {
  message: string;
  code: string;
  detail?: string;
  hint?: string;
  constraint_name?: string;
  column_name?: string;
}

/** A refusal from Postgres (it carries an SQLSTATE and a severity), not a connection failure. */
export function isDatabaseRefusal(error: unknown): error is DatabaseError {
  const e = error as Partial<DatabaseError & { severity: string; name: string }> | null;
  return (
    typeof e?.message === 'string' &&
    typeof e.code === 'string' &&
    /^[0-9A-Z]{5}$/.test(e.code) &&
    typeof e.severity === 'string'
  );
}

/** `agents: <message>` then the detail and hint lines, as the database wrote them. */
export function formatRefusal(error: DatabaseError, verbose: boolean): string[] {
  const lines = [`agents: ${error.message}`];
  if (error.detail) lines.push(`  detail: ${error.detail}`);
  if (error.hint) lines.push(`  hint: ${error.hint}`);
  if (verbose) {
    const where = [
      error.constraint_name && `constraint ${error.constraint_name}`,
      error.column_name && `column ${error.column_name}`,
    ].filter(Boolean);
    lines.push(`  sqlstate: ${error.code}${where.length ? ` (${where.join(', ')})` : ''}`);
  }
  return lines;
}
