// Applies the catalog sync (shared/voices_sync.ts) to public.voices in one transaction acting as
// service_role. Runtime-neutral: the voices-sync function (Deno) and `npm run voices -- sync`
// (Node) both call syncVoiceCatalog. Upstream is fetched before the transaction, so no lock is
// held while ElevenLabs answers; an advisory lock keeps two syncs from interleaving.
import type postgres from 'postgres';
import {
  type CatalogRow,
  formatSyncReport,
  isEmptyPlan,
  planVoiceSync,
  type SyncPlan,
  type UpstreamVoice,
} from './voices_sync.ts';
import { AppError } from './errors.ts';

type Tx = postgres.TransactionSql;
/** Runs work in one transaction acting as service_role. */
export type ServiceTransaction = <T>(work: (tx: Tx) => Promise<T>) => Promise<T>;

export interface SyncResult {
  dryRun: boolean;
  changed: boolean;
  plan: SyncPlan;
  /** Human-readable lines (the CLI prints them). */
  report: string[];
}

const SYNC_LOCK = 'switchboard.voices_sync';

export async function syncVoiceCatalog(
  transaction: ServiceTransaction,
  listed: readonly UpstreamVoice[],
  options: { dryRun: boolean },
): Promise<SyncResult> {
  if (listed.length === 0) {
    // An empty list means a wrong account or key scope far more often than a real catalog.
    throw new AppError(
      'tts_unavailable',
      "ElevenLabs listed no voices; refusing to disable the whole catalog. Check the API key's account.",
    );
  }
  return transaction(async (tx) => {
    await tx`select pg_advisory_xact_lock(hashtext(${SYNC_LOCK}))`;
    const rows = await tx<CatalogRow[]>`
      select v.voice_id, v.name, v.category, v.labels, v.preview_url, v.enabled, v.is_default,
             d.reason as disabled_by_sync
        from public.voices v
        left join edge.voice_disablements d on d.voice_id = v.voice_id
       order by v.voice_id`;
    const plan = planVoiceSync(rows, listed);
    if (!options.dryRun) await applyPlan(tx, plan);
    return { dryRun: options.dryRun, changed: !isEmptyPlan(plan), plan, report: formatSyncReport(plan, options) };
  });
}

async function applyPlan(tx: Tx, plan: SyncPlan): Promise<void> {
  // Names are unique: park renamed voices on a temporary name so swaps cannot collide.
  for (const update of plan.updates) {
    if (update.changes.name !== undefined)
      await tx`update public.voices set name = ${`~sync~${update.voice_id}`} where voice_id = ${update.voice_id}`;
  }
  for (const voice of plan.inserts) {
    await tx`insert into public.voices (voice_id, provider, name, category, labels, preview_url, enabled, is_default)
             values (${voice.voice_id}, 'elevenlabs', ${voice.name}, ${voice.category}, ${tx.json(voice.labels as postgres.JSONValue)}, ${voice.preview_url}, true, false)`;
  }
  for (const { voice_id, changes } of plan.updates) {
    const set: Record<string, unknown> = { ...changes };
    if (changes.labels) set.labels = tx.json(changes.labels as postgres.JSONValue);
    await tx`update public.voices set ${tx(set as Record<string, postgres.ParameterOrJSON<never>>, Object.keys(set))} where voice_id = ${voice_id}`;
  }
  if (plan.enables.length > 0) {
    const ids = plan.enables.map((e) => e.voice_id);
    await tx`update public.voices set enabled = true where voice_id = any(${ids})`;
  }
  if (plan.defaultChange) {
    await tx`update public.voices set is_default = false where is_default and voice_id <> ${plan.defaultChange.to}`;
    await tx`update public.voices set is_default = true, enabled = true where voice_id = ${plan.defaultChange.to}`;
  }
  for (const voice of plan.disables) await tx`select edge.disable_voice(${voice.voice_id}, 'vanished')`;
  // Voices enabled again (by this sync or an operator) carry no disable reason.
  await tx`delete from edge.voice_disablements d using public.voices v where v.voice_id = d.voice_id and v.enabled`;
}
