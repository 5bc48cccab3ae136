// Every finding the SIP doctor can raise: a stable code, where on the call path it sits, how bad
// it is, and the fix. The README "Telephony" table lists exactly these codes (a test checks).

export type Severity = 'fail' | 'warn' | 'info';
/** `unknown`: the part could not be read, so the finding says why instead of what is wrong. */
export type FindingStatus = 'found' | 'unknown';
export type Stage = 'pstn' | 'trunk' | 'dispatch_rule' | 'room' | 'agent' | 'providers';

export const STAGES: readonly { stage: Stage; title: string }[] = [
  { stage: 'pstn', title: 'PSTN numbers' },
  { stage: 'trunk', title: 'SIP inbound trunk' },
  { stage: 'dispatch_rule', title: 'Dispatch rule' },
  { stage: 'room', title: 'Room' },
  { stage: 'agent', title: 'Agent' },
  { stage: 'providers', title: 'Providers' },
];

export interface Finding {
  code: FindingCode;
  severity: Severity;
  status: FindingStatus;
  stage: Stage;
  /** What it is about: a trunk or rule id, a phone number, an env var, a URL. */
  subject: string;
  /** Plain words: what is wrong and what a caller experiences. */
  message: string;
  fix: string;
}

interface CatalogEntry {
  stage: Stage;
  severity: Severity;
  /** The generic fix; a finding may give a more specific one. */
  fix: string;
}

export const FINDING_CATALOG = {
  livekit_unreachable: {
    stage: 'trunk',
    severity: 'fail',
    fix: 'Check LIVEKIT_URL (https://<project>.livekit.cloud), LIVEKIT_API_KEY and LIVEKIT_API_SECRET, and that the server is up.',
  },
  database_unreachable: {
    stage: 'pstn',
    severity: 'fail',
    fix: 'Check DATABASE_URL (CLI) or SUPABASE_DB_URL (function) and that Postgres is up.',
  },
  no_phone_numbers: {
    stage: 'pstn',
    severity: 'warn',
    fix: 'Add the numbers you bought at SignalWire to public.phone_numbers and pick an agent config for each.',
  },
  number_without_config: {
    stage: 'pstn',
    severity: 'fail',
    fix: 'Set phone_numbers.agent_config_id for the number (the dashboard: pick a config for it).',
  },
  trunk_missing: {
    stage: 'trunk',
    severity: 'fail',
    fix: 'Run `npm run sip -- apply` to create the trunk and dispatch rule from telephony.json.',
  },
  trunk_excludes_number: {
    stage: 'trunk',
    severity: 'fail',
    fix: "Add the number to the trunk's numbers, or leave numbers empty so the trunk takes every number (telephony.json, then `npm run sip -- apply`).",
  },
  trunk_conflict: {
    stage: 'trunk',
    severity: 'fail',
    fix: 'Keep one inbound trunk per number: delete or narrow the extra trunks (`npm run sip -- apply --prune` removes unmanaged ones).',
  },
  trunk_allowed_numbers_are_dialed_numbers: {
    stage: 'trunk',
    severity: 'fail',
    fix: "Empty the trunk's allowedNumbers (it filters callers, not the numbers they dial): `npm run sip -- apply`.",
  },
  trunk_allowed_numbers_restrict_callers: {
    stage: 'trunk',
    severity: 'warn',
    fix: "Empty the trunk's allowedNumbers unless only those callers may reach the agent.",
  },
  trunk_open_to_all: {
    stage: 'trunk',
    severity: 'warn',
    fix: "Restrict the trunk to SignalWire: list SignalWire's signaling addresses in telephony.json allowedAddresses, or set SIP_AUTH_USERNAME/SIP_AUTH_PASSWORD and the same credentials in the SWML connect; then `npm run sip -- apply`.",
  },
  trunk_invalid_address: {
    stage: 'trunk',
    severity: 'warn',
    fix: 'Write each allowed address as an IP, a CIDR (1.2.3.0/24) or a hostname, one per entry.',
  },
  trunk_requires_auth: {
    stage: 'trunk',
    severity: 'info',
    fix: 'Make SignalWire send the same username and password (SWML connect username/password), or calls get 407 forever.',
  },
  rule_missing: {
    stage: 'dispatch_rule',
    severity: 'fail',
    fix: 'Run `npm run sip -- apply` (or `npm run sip -- restore <backup>` to bring back a deleted rule exactly).',
  },
  number_dropped: {
    stage: 'dispatch_rule',
    severity: 'fail',
    fix: 'Give the trunk an open rule (no inboundNumbers, no numbers): `npm run sip -- apply`.',
  },
  rule_wildcard: {
    stage: 'dispatch_rule',
    severity: 'warn',
    fix: "Set the rule's trunkIds to your trunk; `npm run sip -- apply --prune` replaces wildcard rules with the managed one.",
  },
  rule_inbound_numbers_prefix: {
    stage: 'dispatch_rule',
    severity: 'fail',
    fix: "Empty the rule's inboundNumbers: it matches the caller by exact string, there are no prefixes or wildcards.",
  },
  rule_inbound_numbers_restrict_callers: {
    stage: 'dispatch_rule',
    severity: 'warn',
    fix: "Empty the rule's inboundNumbers unless only those callers may reach the agent.",
  },
  rule_numbers_exclude_number: {
    stage: 'dispatch_rule',
    severity: 'fail',
    fix: "Add the number exactly as SignalWire sends it (+1...) to the rule's numbers, or empty the list.",
  },
  rule_conflict: {
    stage: 'dispatch_rule',
    severity: 'fail',
    fix: 'Keep one open rule per trunk: delete the extra rule (`npm run sip -- apply --prune`).',
  },
  rule_pin_required: {
    stage: 'dispatch_rule',
    severity: 'warn',
    fix: "Remove the rule's PIN unless callers are meant to type one before the agent answers.",
  },
  rule_hides_phone_number: {
    stage: 'dispatch_rule',
    severity: 'fail',
    fix: 'Set hidePhoneNumber to false (`npm run sip -- apply`): the agent needs the dialed number to load its config.',
  },
  rule_shared_room: {
    stage: 'room',
    severity: 'fail',
    fix: 'Use an individual rule (one room per call): `npm run sip -- apply`.',
  },
  rule_room_prefix_changed: {
    stage: 'room',
    severity: 'warn',
    fix: 'Use the prefix from telephony.json (`npm run sip -- apply`), or change telephony.json if the new prefix is intended.',
  },
  rule_no_agent: {
    stage: 'agent',
    severity: 'fail',
    fix: "Dispatch the agent from the rule's roomConfig.agents (`npm run sip -- apply` does it by read-modify-write).",
  },
  rule_agent_name_mismatch: {
    stage: 'agent',
    severity: 'fail',
    fix: "Dispatch exactly the worker's name (`npm run sip -- apply`); a *Fields update cannot change roomConfig.",
  },
  worker_unreachable: {
    stage: 'agent',
    severity: 'fail',
    fix: 'Start the worker (`npm run dev`, or its service) and set WORKER_HEALTH_URL to its health server (default http://127.0.0.1:8081).',
  },
  worker_not_connected: {
    stage: 'agent',
    severity: 'fail',
    fix: "Check the worker's LIVEKIT_URL, LIVEKIT_API_KEY and LIVEKIT_API_SECRET and its logs; it must reach LiveKit to get jobs.",
  },
  worker_name_mismatch: {
    stage: 'agent',
    severity: 'fail',
    fix: 'Register the worker with the shared agent name (shared/agent_name.ts; AGENT_NAME overrides both sides), then restart it.',
  },
  config_issue_open: {
    stage: 'agent',
    severity: 'warn',
    fix: 'Fix the agent config the issue names; it resolves itself when the cause is gone.',
  },
  provider_keys_not_checked: {
    stage: 'providers',
    severity: 'info',
    fix: 'Run `npm run sip -- doctor` where the worker runs (same environment) to check ELEVEN_API_KEY, DEEPGRAM_API_KEY and OPENAI_API_KEY.',
  },
  provider_key_missing: {
    stage: 'providers',
    severity: 'fail',
    fix: "Set the key in the worker's environment and restart it.",
  },
} as const satisfies Record<string, CatalogEntry>;

export type FindingCode = keyof typeof FINDING_CATALOG;
export const FINDING_CODES = Object.keys(FINDING_CATALOG) as FindingCode[];

export function finding(
  code: FindingCode,
  subject: string,
  message: string,
  options: { fix?: string; status?: FindingStatus } = {},
): Finding {
  const entry: CatalogEntry = FINDING_CATALOG[code];
  return {
    code,
    severity: entry.severity,
    status: options.status ?? 'found',
    stage: entry.stage,
    subject,
    message,
    fix: options.fix ?? entry.fix,
  };
}

/** 0 nothing to fix, 1 warnings, 2 failures: the doctor's exit code. */
export function worstSeverity(findings: readonly Finding[]): 'ok' | 'warn' | 'fail' {
  if (findings.some((f) => f.severity === 'fail')) return 'fail';
  if (findings.some((f) => f.severity === 'warn')) return 'warn';
  return 'ok';
}
