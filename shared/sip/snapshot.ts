// Saved snapshots (`npm run sip -- snapshot`) and the database reads that fill one. The SQL is
// here so the CLI (DATABASE_URL) and the sip-status function (SUPABASE_DB_URL) read the same
// rows; both connect as the service/superuser role because the report covers every owner.
import { z } from 'zod';
import { AppError } from '../errors.ts';
import type { SipSnapshot } from './types.ts';

export const PHONE_NUMBERS_SQL =
  'select e164, agent_config_id::text as agent_config_id, label from public.phone_numbers order by e164';
export const OPEN_CONFIG_ISSUES_SQL =
  'select subject_type, subject_id, code, severity, message from public.config_issues where resolved_at is null order by opened_at, id';

const unknownPart = z.object({ status: z.literal('unknown'), reason: z.string() });
const snapshotSchema = z.object({
  version: z.literal(1),
  takenAt: z.string(),
  expectedAgentName: z.string(),
  desired: z.object({ trunkName: z.string(), ruleName: z.string(), roomPrefix: z.string() }),
  livekit: z.union([
    z.object({ status: z.literal('ok'), trunks: z.array(z.looseObject({})), rules: z.array(z.looseObject({})) }),
    unknownPart,
  ]),
  database: z.union([
    z.object({
      status: z.literal('ok'),
      phoneNumbers: z.array(z.object({ e164: z.string(), agent_config_id: z.string().nullable(), label: z.string() })),
      configIssues: z.array(
        z.object({
          subject_type: z.string(),
          subject_id: z.string(),
          code: z.string(),
          severity: z.string(),
          message: z.string(),
        }),
      ),
    }),
    unknownPart,
  ]),
  worker: z.union([
    z.object({
      status: z.literal('ok'),
      url: z.string(),
      health: z.object({ httpStatus: z.number(), body: z.string() }),
      info: z.looseObject({ agent_name: z.string() }).nullable(),
    }),
    unknownPart.extend({ url: z.string() }),
  ]),
  providerKeys: z.record(z.string(), z.boolean()).nullable(),
});

export function parseSnapshot(raw: unknown, source: string): SipSnapshot {
  const parsed = snapshotSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new AppError(
      'invalid_request',
      `${source} is not a SIP snapshot (${issue?.path.join('.')}: ${issue?.message}). Write one with \`npm run sip -- snapshot --out FILE\`.`,
    );
  }
  return parsed.data as SipSnapshot;
}

/** A snapshot never carries trunk passwords: only whether one is set. */
export function redactSecrets<T extends { authPassword?: string }>(trunk: T): T {
  return trunk.authPassword ? { ...trunk, authPassword: '(set)' } : trunk;
}
