// The catalog sync as a pure plan: given the catalog rows and the voices ElevenLabs lists, what
// to insert, update, disable and re-enable. It never deletes (configs reference voices), keeps
// exactly one enabled default, and is idempotent: planning again after applying finds nothing.
import { z } from 'zod';
import { canonicalJson } from './canonical_json.ts';
import { DEFAULT_VOICE_ID, voiceIdProblem } from './voice_id.ts';

export const VOICE_CATEGORIES = ['premade', 'cloned', 'generated', 'professional', 'famous', 'high_quality'] as const;
const MAX_NAME_CHARS = 100;

/** A voice as GET /v2/voices lists it: only voice_id is guaranteed, the rest may be null. */
export const upstreamVoiceSchema = z.looseObject({
  voice_id: z.string(),
  name: z.string().nullish(),
  category: z.string().nullish(),
  labels: z.record(z.string(), z.unknown()).nullish(),
  preview_url: z.string().nullish(),
});
export type UpstreamVoice = z.infer<typeof upstreamVoiceSchema>;

export const voicesPageSchema = z.looseObject({
  voices: z.array(upstreamVoiceSchema),
  has_more: z.boolean().nullish(),
  next_page_token: z.string().nullish(),
});

/** Why the sync disabled a voice; voices an operator disabled have none and stay disabled. */
export type SyncDisableReason = 'vanished' | 'voice_not_found';

export interface CatalogRow {
  voice_id: string;
  name: string;
  category: string;
  labels: Record<string, unknown>;
  preview_url: string | null;
  enabled: boolean;
  is_default: boolean;
  disabled_by_sync: SyncDisableReason | null;
}

export interface VoiceFields {
  voice_id: string;
  name: string;
  category: string;
  labels: Record<string, unknown>;
  preview_url: string | null;
}

export interface VoiceUpdate {
  voice_id: string;
  changes: Partial<Omit<VoiceFields, 'voice_id'>>;
}

export interface SyncPlan {
  inserts: VoiceFields[];
  updates: VoiceUpdate[];
  /** Listed in the catalog, no longer listed by ElevenLabs: disabled so their configs get flagged. */
  disables: { voice_id: string; name: string }[];
  /** Disabled by an earlier sync or a voice_not_found, listed again: enabled. */
  enables: { voice_id: string; name: string }[];
  /** Set when the default voice must move (it vanished, or the catalog had none). */
  defaultChange: { from: string | null; to: string } | null;
  skipped: { voice_id: string; reason: string }[];
  unchanged: number;
}

export function planVoiceSync(catalog: readonly CatalogRow[], listed: readonly UpstreamVoice[]): SyncPlan {
  const plan: SyncPlan = {
    inserts: [],
    updates: [],
    disables: [],
    enables: [],
    defaultChange: null,
    skipped: [],
    unchanged: 0,
  };
  const byId = new Map(catalog.map((row) => [row.voice_id, row]));
  const upstream = new Map<string, Omit<VoiceFields, 'name'> & { name: string }>();
  for (const voice of listed) {
    if (upstream.has(voice.voice_id)) continue;
    const problem = voiceIdProblem(voice.voice_id);
    if (problem) {
      plan.skipped.push({ voice_id: voice.voice_id, reason: `voice_id ${problem}` });
      continue;
    }
    const category = voice.category ?? 'premade';
    if (!(VOICE_CATEGORIES as readonly string[]).includes(category)) {
      plan.skipped.push({ voice_id: voice.voice_id, reason: `unknown category ${JSON.stringify(category)}` });
      continue;
    }
    const name = (voice.name ?? '').trim().slice(0, MAX_NAME_CHARS) || voice.voice_id;
    const previewUrl = publicPreviewUrl(voice.preview_url);
    upstream.set(voice.voice_id, {
      voice_id: voice.voice_id,
      name,
      category,
      labels: voice.labels ?? {},
      preview_url: previewUrl,
    });
  }

  const names = assignUniqueNames(catalog, upstream);
  for (const wanted of upstream.values()) {
    const fields = { ...wanted, name: names.get(wanted.voice_id) ?? wanted.name };
    const row = byId.get(fields.voice_id);
    if (!row) {
      plan.inserts.push(fields);
      continue;
    }
    const changes = changedFields(row, fields);
    if (Object.keys(changes).length > 0) plan.updates.push({ voice_id: row.voice_id, changes });
    if (!row.enabled && row.disabled_by_sync) plan.enables.push({ voice_id: row.voice_id, name: fields.name });
    if (Object.keys(changes).length === 0 && (row.enabled || !row.disabled_by_sync)) plan.unchanged += 1;
  }
  for (const row of catalog) {
    if (!upstream.has(row.voice_id) && row.enabled) plan.disables.push({ voice_id: row.voice_id, name: row.name });
  }
  plan.defaultChange = planDefault(catalog, plan);
  const current = catalog.find((row) => row.is_default);
  if (current && !plan.defaultChange && plan.disables.some((d) => d.voice_id === current.voice_id)) {
    // No other live voice can take the default: keep it rather than break every call.
    plan.disables = plan.disables.filter((d) => d.voice_id !== current.voice_id);
    plan.skipped.push({
      voice_id: current.voice_id,
      reason: 'the default voice is no longer listed, but no other enabled voice can become the default; kept enabled',
    });
  }
  return plan;
}

/**
 * The preview URL to store, or null. Every user's browser plays it, so it must be http(s) on a
 * host other than this machine: a loopback URL (the dev ElevenLabs fake serves its samples on a
 * port that changes on every start) would be broken for everyone else, and in dev by the next
 * start. Null is safe: voice-preview then synthesizes a standard sample instead.
 */
export function publicPreviewUrl(raw: string | null | undefined): string | null {
  if (!raw || !/^https?:\/\//i.test(raw)) return null;
  let host: string;
  try {
    host = new URL(raw).hostname.toLowerCase();
  } catch {
    return null;
  }
  const loopback =
    host === 'localhost' ||
    host.endsWith('.localhost') ||
    host === '[::1]' ||
    host === '0.0.0.0' ||
    /^127\.\d+\.\d+\.\d+$/.test(host);
  return loopback ? null : raw;
}

/** True when applying the plan would change nothing. */
export function isEmptyPlan(plan: SyncPlan): boolean {
  return (
    plan.inserts.length + plan.updates.length + plan.disables.length + plan.enables.length === 0 && !plan.defaultChange
  );
}

function changedFields(row: CatalogRow, fields: VoiceFields): VoiceUpdate['changes'] {
  const changes: VoiceUpdate['changes'] = {};
  if (row.name !== fields.name) changes.name = fields.name;
  if (row.category !== fields.category) changes.category = fields.category;
  if (canonicalJson(row.labels) !== canonicalJson(fields.labels)) changes.labels = fields.labels;
  if (row.preview_url !== fields.preview_url) changes.preview_url = fields.preview_url;
  return changes;
}

/**
 * Names are unique in the catalog (ignoring case). Voices keeping their current name keep it;
 * any other clash gets a short id suffix, so two cloned "My voice"s can coexist.
 */
function assignUniqueNames(catalog: readonly CatalogRow[], upstream: Map<string, VoiceFields>): Map<string, string> {
  const desired = new Map<string, string>();
  for (const row of catalog) desired.set(row.voice_id, upstream.get(row.voice_id)?.name ?? row.name);
  for (const voice of upstream.values()) if (!desired.has(voice.voice_id)) desired.set(voice.voice_id, voice.name);
  const current = new Map(catalog.map((row) => [row.voice_id, row.name]));
  const order = [...desired.keys()].sort((a, b) => {
    const keepA = current.get(a) === desired.get(a) ? 0 : 1;
    const keepB = current.get(b) === desired.get(b) ? 0 : 1;
    return keepA - keepB || (a < b ? -1 : a > b ? 1 : 0);
  });
  const taken = new Set<string>();
  const result = new Map<string, string>();
  for (const id of order) {
    const base = desired.get(id)!;
    const candidates = [
      base,
      `${base.slice(0, MAX_NAME_CHARS - 9)} (${id.slice(0, 6)})`,
      `${base.slice(0, MAX_NAME_CHARS - 23)} (${id})`,
    ];
    const name = candidates.find((c) => !taken.has(c.toLowerCase())) ?? id;
    taken.add(name.toLowerCase());
    result.set(id, name);
  }
  return result;
}

function planDefault(catalog: readonly CatalogRow[], plan: SyncPlan): SyncPlan['defaultChange'] {
  const disabled = new Set(plan.disables.map((d) => d.voice_id));
  const enabled = new Set(plan.enables.map((e) => e.voice_id));
  const finalRows = [
    ...catalog.map((row) => ({
      voice_id: row.voice_id,
      name: row.name,
      category: row.category,
      enabled: (row.enabled && !disabled.has(row.voice_id)) || enabled.has(row.voice_id),
    })),
    ...plan.inserts.map((v) => ({ voice_id: v.voice_id, name: v.name, category: v.category, enabled: true })),
  ];
  const current = catalog.find((row) => row.is_default) ?? null;
  const live = finalRows.filter((row) => row.enabled);
  if (current && live.some((row) => row.voice_id === current.voice_id)) return null;
  const next = chooseDefault(live);
  if (!next) return null;
  return { from: current?.voice_id ?? null, to: next };
}

/** The seeded default if it is live, else the first premade voice by name, else the first by name. */
export function chooseDefault(live: readonly { voice_id: string; name: string; category: string }[]): string | null {
  if (live.some((row) => row.voice_id === DEFAULT_VOICE_ID)) return DEFAULT_VOICE_ID;
  const sorted = [...live].sort((a, b) => a.name.localeCompare(b.name) || (a.voice_id < b.voice_id ? -1 : 1));
  return (sorted.find((row) => row.category === 'premade') ?? sorted[0])?.voice_id ?? null;
}

/** Human-readable report lines, as the CLI prints them. */
export function formatSyncReport(plan: SyncPlan, options: { dryRun: boolean }): string[] {
  const verb = options.dryRun ? 'would' : '';
  const say = (done: string, would: string) => (options.dryRun ? `${verb} ${would}` : done);
  const lines: string[] = [];
  for (const v of plan.inserts) lines.push(`${say('added', 'add')}    ${v.voice_id}  ${v.name} (${v.category})`);
  for (const u of plan.updates)
    lines.push(`${say('updated', 'update')}  ${u.voice_id}  ${Object.keys(u.changes).join(', ')}`);
  for (const d of plan.disables)
    lines.push(
      `${say('disabled', 'disable')} ${d.voice_id}  ${d.name} (no longer listed by ElevenLabs; configs using it get flagged)`,
    );
  for (const e of plan.enables) lines.push(`${say('enabled', 'enable')}  ${e.voice_id}  ${e.name} (listed again)`);
  if (plan.defaultChange)
    lines.push(`${say('default', 'move default')} ${plan.defaultChange.from ?? '(none)'} -> ${plan.defaultChange.to}`);
  for (const s of plan.skipped) lines.push(`skipped  ${s.voice_id}  ${s.reason}`);
  const total = `${plan.inserts.length} added, ${plan.updates.length} updated, ${plan.disables.length} disabled, ${plan.enables.length} re-enabled, ${plan.unchanged} unchanged, ${plan.skipped.length} skipped`;
  lines.push(options.dryRun ? `dry run: ${total} (nothing written)` : total);
  return lines;
}
