// The worker's provider keys, by presence only (values are never read into a snapshot).
import { finding, type Finding } from '../findings.ts';
import type { ProviderKeys } from '../types.ts';

/** What each variable is for. ElevenLabs' plugin reads ELEVEN_API_KEY, not ELEVENLABS_API_KEY. */
export const PROVIDER_KEYS = {
  ELEVEN_API_KEY: "ElevenLabs (the agent's voice)",
  DEEPGRAM_API_KEY: 'Deepgram (speech recognition)',
  OPENAI_API_KEY: "OpenAI (the agent's replies)",
} as const;
/** Names people set by mistake, and the name the worker actually reads. */
export const MISNAMED_KEYS: Record<string, keyof typeof PROVIDER_KEYS> = { ELEVENLABS_API_KEY: 'ELEVEN_API_KEY' };
export const PROVIDER_KEY_NAMES = [...Object.keys(PROVIDER_KEYS), ...Object.keys(MISNAMED_KEYS)];

export function diagnoseProviderKeys(keys: ProviderKeys | null): Finding[] {
  if (keys === null) {
    return [
      finding(
        'provider_keys_not_checked',
        'worker environment',
        "The provider keys live in the worker's environment, which this report cannot see.",
        { status: 'unknown' },
      ),
    ];
  }
  const out: Finding[] = [];
  for (const [name, purpose] of Object.entries(PROVIDER_KEYS)) {
    if (keys[name]) continue;
    const misnamed = Object.entries(MISNAMED_KEYS).find(([wrong, right]) => right === name && keys[wrong]);
    out.push(
      finding(
        'provider_key_missing',
        name,
        misnamed
          ? `${name} is not set but ${misnamed[0]} is: the worker reads only ${name} for ${purpose}, so calls fail there.`
          : `${name} is not set: without ${purpose} the worker cannot run a call.`,
        misnamed ? { fix: `Rename ${misnamed[0]} to ${name} in the worker's environment and restart it.` } : {},
      ),
    );
  }
  return out;
}
