// Plain-JSON views of LiveKit's SIP objects, as protobuf-es `toJson()` writes them (camelCase,
// defaults omitted, a oneof as a field named after its case). The diagnosis, the plan and the
// saved snapshots work on these, so they run under Node and Deno with no LiveKit classes.

export interface InboundTrunk {
  sipTrunkId?: string;
  name?: string;
  metadata?: string;
  /** Called numbers this trunk accepts (normalized by LiveKit). Empty: any number (wildcard trunk). */
  numbers?: string[];
  /** Source IPs/CIDRs/hostnames allowed to send calls. Empty: any address. */
  allowedAddresses?: string[];
  /** Callers (From) allowed. Empty: any caller. */
  allowedNumbers?: string[];
  authUsername?: string;
  authPassword?: string;
  krispEnabled?: boolean;
  /** protobuf Duration JSON, e.g. "30s". */
  ringingTimeout?: string;
  maxCallDuration?: string;
  [field: string]: unknown;
}

export interface RoomAgentDispatchJson {
  agentName?: string;
  metadata?: string;
  [field: string]: unknown;
}

export interface DispatchRuleKind {
  dispatchRuleIndividual?: { roomPrefix?: string; pin?: string; noRandomness?: boolean };
  dispatchRuleDirect?: { roomName?: string; pin?: string };
  dispatchRuleCallee?: { roomPrefix?: string; pin?: string; randomize?: boolean };
}

export interface DispatchRule {
  sipDispatchRuleId?: string;
  name?: string;
  metadata?: string;
  rule?: DispatchRuleKind;
  /** Empty: a wildcard rule that also takes calls no trunk matched. */
  trunkIds?: string[];
  hidePhoneNumber?: boolean;
  /** Callers (From) admitted, by exact string. */
  inboundNumbers?: string[];
  /** Called numbers (To) admitted, by exact string. */
  numbers?: string[];
  attributes?: Record<string, string>;
  roomConfig?: { agents?: RoomAgentDispatchJson[]; [field: string]: unknown };
  krispEnabled?: boolean;
  [field: string]: unknown;
}

/** The agents framework's `GET /worker` answer (snake_case on the wire). */
export interface WorkerInfo {
  agent_name: string;
  agent_name_is_env?: boolean;
  worker_type?: string;
  active_jobs?: number;
  sdk_version?: string;
  [field: string]: unknown;
}

export interface PhoneNumberRow {
  e164: string;
  agent_config_id: string | null;
  label: string;
}

export interface ConfigIssueRow {
  subject_type: string;
  subject_id: string;
  code: string;
  severity: string;
  message: string;
}

/** Something we could not read, and why (one line an operator can act on). */
export interface Unknown {
  status: 'unknown';
  reason: string;
}

export type LiveKitPart = { status: 'ok'; trunks: InboundTrunk[]; rules: DispatchRule[] } | Unknown;
export type DatabasePart = { status: 'ok'; phoneNumbers: PhoneNumberRow[]; configIssues: ConfigIssueRow[] } | Unknown;
export type WorkerPart =
  | {
      status: 'ok';
      url: string;
      /** `GET /`: 200 when connected to LiveKit, else 503 with the reason as body. */
      health: { httpStatus: number; body: string };
      info: WorkerInfo | null;
    }
  | (Unknown & { url: string });

/** Environment variables the worker needs, by name: configured or not. Values are never stored. */
export type ProviderKeys = Record<string, boolean>;

export interface SipSnapshot {
  version: 1;
  /** ISO 8601. */
  takenAt: string;
  /** The name the worker registers and the rule must dispatch (shared/agent_name.ts). */
  expectedAgentName: string;
  /** What telephony.json asks for: room prefix and the managed object names. */
  desired: { trunkName: string; ruleName: string; roomPrefix: string };
  livekit: LiveKitPart;
  database: DatabasePart;
  worker: WorkerPart;
  /** null: not checked here (the sip-status function does not share the worker's environment). */
  providerKeys: ProviderKeys | null;
}
