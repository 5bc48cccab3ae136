// The telephony setup Switchboard wants in LiveKit, built from the committed telephony.json plus
// a few environment values. The dispatched agent name comes from shared/agent_name.ts, the same
// constant the worker registers with, so the two cannot drift apart.
import { z } from 'zod';
import { resolveAgentName } from '../agent_name.ts';
import { AppError } from '../errors.ts';
import { admitsEveryAddress, isValidAddressMask } from './addresses.ts';
import type { DispatchRule, InboundTrunk } from './types.ts';

export const DEFAULT_ROOM_PREFIX = 'call-';
export const DEFAULT_RINGING_TIMEOUT_MS = 30_000;

export const telephonyConfigSchema = z.object({
  trunk: z.object({
    name: z.string().trim().min(1, 'trunk.name must not be empty'),
    /** Dialed numbers the trunk accepts; empty: every number SignalWire sends. */
    numbers: z.array(z.string().min(1)).default([]),
    /** SignalWire's signaling addresses (IP, CIDR or hostname). */
    allowedAddresses: z.array(z.string().min(1)).default([]),
    krispEnabled: z.boolean().default(true),
    /** How long LiveKit rings before giving up when no agent answers (LiveKit's own default is 3 min). */
    ringingTimeoutMs: z.number().int().min(1_000).max(180_000).default(DEFAULT_RINGING_TIMEOUT_MS),
  }),
  dispatchRule: z.object({
    name: z.string().trim().min(1, 'dispatchRule.name must not be empty'),
    roomPrefix: z.string().min(1).default(DEFAULT_ROOM_PREFIX),
  }),
});
export type TelephonyConfig = z.infer<typeof telephonyConfigSchema>;

/** The environment values that shape the desired state (never logged). */
export interface TelephonyEnv {
  AGENT_NAME?: string | undefined;
  /** Digest credentials SignalWire must send; both or neither. */
  SIP_AUTH_USERNAME?: string | undefined;
  SIP_AUTH_PASSWORD?: string | undefined;
  /** Comma-separated; replaces telephony.json trunk.allowedAddresses when set. */
  SIP_ALLOWED_ADDRESSES?: string | undefined;
}

export interface DesiredState {
  agentName: string;
  roomPrefix: string;
  trunk: InboundTrunk;
  /** `trunkIds` is filled in with the live trunk's id when planning. */
  rule: DispatchRule;
}

export function parseTelephonyConfig(raw: unknown, source = 'telephony.json'): TelephonyConfig {
  const parsed = telephonyConfigSchema.safeParse(raw);
  if (parsed.success) return parsed.data;
  const problems = parsed.error.issues.map((issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`);
  throw new AppError('invalid_config', `${source} is invalid: ${problems.join('; ')}`);
}

export function buildDesiredState(config: TelephonyConfig, env: TelephonyEnv): DesiredState {
  const username = env.SIP_AUTH_USERNAME?.trim() ?? '';
  const password = env.SIP_AUTH_PASSWORD ?? '';
  if ((username === '') !== (password === '')) {
    throw new AppError('invalid_config', 'Set both SIP_AUTH_USERNAME and SIP_AUTH_PASSWORD, or neither.');
  }
  const addresses = env.SIP_ALLOWED_ADDRESSES?.trim()
    ? env.SIP_ALLOWED_ADDRESSES.split(',')
        .map((a) => a.trim())
        .filter(Boolean)
    : config.trunk.allowedAddresses;
  const invalid = addresses.filter((mask) => !isValidAddressMask(mask));
  if (invalid.length > 0) {
    throw new AppError(
      'invalid_config',
      `LiveKit would ignore these allowed addresses: ${invalid.join(', ')}. Write an IP, a CIDR or a hostname per entry.`,
    );
  }
  if (admitsEveryAddress(addresses) && username === '') {
    throw new AppError(
      'invalid_config',
      "The trunk would accept calls from any address with no credentials (toll-fraud risk): list SignalWire's signaling addresses in telephony.json trunk.allowedAddresses (or SIP_ALLOWED_ADDRESSES), or set SIP_AUTH_USERNAME and SIP_AUTH_PASSWORD.",
    );
  }
  const trunk: InboundTrunk = {
    name: config.trunk.name,
    numbers: [...config.trunk.numbers],
    allowedAddresses: addresses,
    allowedNumbers: [],
    krispEnabled: config.trunk.krispEnabled,
    ringingTimeout: `${config.trunk.ringingTimeoutMs / 1000}s`,
  };
  if (username) {
    trunk.authUsername = username;
    trunk.authPassword = password;
  }
  const agentName = resolveAgentName(env.AGENT_NAME);
  const rule: DispatchRule = {
    name: config.dispatchRule.name,
    rule: { dispatchRuleIndividual: { roomPrefix: config.dispatchRule.roomPrefix } },
    trunkIds: [],
    hidePhoneNumber: false,
    inboundNumbers: [],
    numbers: [],
    roomConfig: { agents: [{ agentName }] },
  };
  return { agentName, roomPrefix: config.dispatchRule.roomPrefix, trunk, rule };
}
