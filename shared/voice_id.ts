// The voice-ID rule, identical to the database's (private.voice_id_format_problem): an
// ElevenLabs voice ID is exactly 20 ASCII letters and digits. Friendly names ('Rachel'),
// prefixed values ('11labs-Kate'), whitespace and lookalike Unicode are refused with a reason.
import { z } from 'zod';

/** The catalog's default voice (Rachel) as seeded; the database's is_default row is authoritative. */
export const DEFAULT_VOICE_ID = '21m00Tcm4TlvDq8ikWAM';

/** A provider prefix ('11labs-', 'elevenlabs:', …) and any whitespace after it. */
const PROVIDER_PREFIX = /^(11labs|elevenlabs|eleven_labs|eleven-labs)[-_:]\s*/i;

/** Why `value` is not a well-formed voice ID, or null when it is. Format only, no catalog lookup. */
export function voiceIdProblem(value: string): string | null {
  if (value === '') return 'is empty';
  if (/\s/.test(value)) return 'contains whitespace';
  if (!/^[\x21-\x7e]*$/.test(value)) return 'contains non-ASCII characters (a lookalike letter pasted from elsewhere?)';
  if (PROVIDER_PREFIX.test(value)) return 'has a provider prefix; store the bare ElevenLabs voice ID';
  if (!/^[A-Za-z0-9]+$/.test(value)) return 'may contain only ASCII letters and digits';
  if (value.length !== 20) return `is ${value.length} characters long; ElevenLabs voice IDs are exactly 20`;
  return null;
}

export const voiceIdSchema = z.string().superRefine((value, ctx) => {
  const problem = voiceIdProblem(value);
  if (problem) {
    ctx.addIssue({
      code: 'custom',
      message: `voice_id ${JSON.stringify(value)} is not a valid voice ID: it ${problem}. Valid IDs are the voice_id values in the voices catalog.`,
    });
  }
});
export type VoiceId = z.infer<typeof voiceIdSchema>;

export interface CatalogVoice {
  voice_id: string;
  name: string;
  enabled: boolean;
}

/**
 * Maps a legacy value to a catalog voice ID, or null, as public.repair_voice_id() does: exact
 * ID, provider prefix stripped, ID ignoring case, then catalog name ignoring case.
 */
export function repairVoiceId(raw: string, catalog: readonly CatalogVoice[]): string | null {
  const value = bareVoiceValue(raw);
  const exact = catalog.find((v) => v.voice_id === value);
  if (exact) return exact.voice_id;
  const sorted = [...catalog].sort((a, b) => (a.voice_id < b.voice_id ? -1 : 1));
  const byIdCase = sorted.find((v) => v.voice_id.toLowerCase() === value.toLowerCase());
  if (byIdCase) return byIdCase.voice_id;
  const byName = sorted
    .filter((v) => v.name.toLowerCase() === value.toLowerCase())
    .sort((a, b) => Number(b.enabled) - Number(a.enabled));
  return byName[0]?.voice_id ?? null;
}

/** `raw` without surrounding whitespace and without a provider prefix. */
export function bareVoiceValue(raw: string): string {
  return raw.trim().replace(PROVIDER_PREFIX, '');
}

/**
 * One sentence naming the catalog voice a mistyped voice ID was meant to be, or null when it
 * names none (or is already right). Mirrors private.voice_id_hint(): stray whitespace, a
 * provider prefix, the wrong case, then a voice's name, so each mistake gets its own advice.
 */
export function voiceIdHint(raw: string, catalog: readonly CatalogVoice[]): string | null {
  const trimmed = raw.trim();
  const bare = bareVoiceValue(raw);
  const exact = catalog.find((v) => v.voice_id === bare);
  if (exact) {
    if (exact.voice_id === raw) return null;
    const fix = bare !== trimmed ? 'Drop the provider prefix' : 'Remove the whitespace';
    return `${fix}: the voice_id of ${exact.name} is ${exact.voice_id}.`;
  }
  const sorted = [...catalog].sort((a, b) => (a.voice_id < b.voice_id ? -1 : 1));
  const byCase = sorted.find((v) => v.voice_id.toLowerCase() === bare.toLowerCase());
  if (byCase) return `Voice IDs are case-sensitive: the voice_id of ${byCase.name} is ${byCase.voice_id}.`;
  const byName = sorted
    .filter((v) => v.name.toLowerCase() === bare.toLowerCase())
    .sort((a, b) => Number(b.enabled) - Number(a.enabled))[0];
  return byName ? `${byName.name} is the name of a voice; its voice_id is ${byName.voice_id}.` : null;
}
