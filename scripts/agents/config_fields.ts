// The config flags of `create` and `update`, and the agent_configs column each one writes. The
// database checks every value (voice IDs, lengths, ranges, E.164) and explains its refusals, so
// only what the command line itself cannot express is checked here.
import { toE164 } from '../../shared/phone.ts';
import { AppError } from '../../shared/errors.ts';

type Kind = 'text' | 'phone_or_empty' | 'integer';

export const CONFIG_FLAGS = {
  name: { column: 'name', kind: 'text', help: 'display name' },
  voice: { column: 'voice_id', kind: 'text', help: 'voice ID from the voices table, e.g. 21m00Tcm4TlvDq8ikWAM' },
  prompt: { column: 'system_prompt', kind: 'text', help: "system prompt (the agent's instructions)" },
  greeting: { column: 'greeting', kind: 'text', help: 'said on answering; "" waits for the caller' },
  transfer: {
    column: 'transfer_number',
    kind: 'phone_or_empty',
    help: 'E.164 number for transfers; "" turns transfers off',
  },
  model: { column: 'llm_model', kind: 'text', help: 'LLM model, e.g. gpt-4o-mini' },
  language: { column: 'stt_language', kind: 'text', help: 'speech recognition language (BCP-47, or multi)' },
  'max-call-ms': { column: 'max_call_duration_ms', kind: 'integer', help: 'longest call, in milliseconds' },
  'silence-timeout-ms': {
    column: 'silence_timeout_ms',
    kind: 'integer',
    help: 'hang up after this much silence, in milliseconds',
  },
} as const satisfies Record<string, { column: string; kind: Kind; help: string }>;

export type ConfigFlag = keyof typeof CONFIG_FLAGS;
export type ConfigColumn = (typeof CONFIG_FLAGS)[ConfigFlag]['column'];
export type ConfigFields = Partial<Record<ConfigColumn, string | number | null>>;

export const CONFIG_FLAG_NAMES = Object.keys(CONFIG_FLAGS) as ConfigFlag[];

/** The columns the given flags set, with the values the database should see. */
export function configFieldsFromFlags(values: Partial<Record<string, string | boolean | undefined>>): ConfigFields {
  const fields: ConfigFields = {};
  for (const flag of CONFIG_FLAG_NAMES) {
    const raw = values[flag];
    if (typeof raw !== 'string') continue;
    const { column, kind } = CONFIG_FLAGS[flag];
    fields[column] = convert(flag, kind, raw);
  }
  return fields;
}

function convert(flag: string, kind: Kind, raw: string): string | number | null {
  switch (kind) {
    case 'text':
      return raw;
    case 'phone_or_empty':
      // Typed forms are normalized as the frontend does (shared/phone.ts); anything that is not
      // a phone number goes through as typed, for the database to refuse in its own words.
      if (raw.trim() === '') return null;
      return toE164(raw) ?? raw;
    case 'integer':
      if (!/^\d+$/.test(raw.trim()))
        throw new AppError('invalid_request', `--${flag} takes a whole number of milliseconds, got '${raw}'.`);
      return Number(raw.trim());
  }
}
