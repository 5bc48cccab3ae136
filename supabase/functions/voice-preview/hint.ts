// Advice for a voice_id that names no catalog voice: the ID it was meant to be, for the mistake
// made (stray whitespace, a provider prefix, the wrong case, a voice's name). shared/voice_id.ts
// decides; this only fetches the few catalog rows that could match.
import { bareVoiceValue, type CatalogVoice, voiceIdHint } from '../../../shared/voice_id.ts';
import type { Database } from '../_shared/db.ts';
import { Deadline } from '../../../shared/deadline.ts';

/** Longer values are not a mistyped voice ID or name; no lookup for them. */
const MAX_HINT_INPUT_CHARS = 100;
/** The hint is a courtesy on an error path: it must not hold the error up for long. */
const HINT_STATEMENT_TIMEOUT_MS = 2_000;

export async function voiceIdHintFor(db: Database, raw: string): Promise<string | null> {
  if (raw.length > MAX_HINT_INPUT_CHARS) return null;
  const bare = bareVoiceValue(raw);
  if (bare === '') return null;
  // service_role: the catalog is public (anon reads it); the preview path has no caller claims.
  // The same bound on the client: a stalled database costs the hint, not the answer's time.
  const deadline = new Deadline(HINT_STATEMENT_TIMEOUT_MS);
  const rows = await deadline
    .race(
      db.asServiceRole(async (tx) => {
        await tx`select set_config('statement_timeout', ${String(HINT_STATEMENT_TIMEOUT_MS)}, true)`;
        return tx<CatalogVoice[]>`select voice_id, name, enabled from public.voices
        where lower(voice_id) = lower(${bare}) or lower(name) = lower(${bare})`;
      }),
    )
    .catch(() => [] as CatalogVoice[])
    .finally(() => deadline.clear());
  return voiceIdHint(raw, rows);
}
