// What each `npm run agents` command does in the database. Owner commands touch only what RLS
// lets the owner see: a config or number of someone else's is simply not found, as it would be
// for the frontend. Refusals (voice IDs, ranges, E.164, ownership) come from the database.
import { AppError } from '../../shared/errors.ts';
import type { ConfigColumn, ConfigFields } from './config_fields.ts';
import type { Owner, Session } from './owner_session.ts';

export interface ConfigRow {
  id: string;
  name: string;
  voice_id: string;
  voice_name: string | null;
  system_prompt: string;
  greeting: string;
  llm_model: string;
  stt_language: string;
  max_call_duration_ms: number;
  silence_timeout_ms: number;
  transfer_number: string | null;
  version: number;
  updated_at: Date;
}

export interface NumberRow {
  id: string;
  e164: string;
  label: string;
  agent_config_id: string | null;
  config_name: string | null;
}

export interface IssueRow {
  subject_type: string;
  subject_id: string;
  code: string;
  severity: string;
  message: string;
}

export interface Listing {
  owner: { id: string; email: string };
  configs: ConfigRow[];
  numbers: NumberRow[];
  issues: IssueRow[];
}

export async function listOwner(session: Session, owner: Owner): Promise<Listing> {
  return session.asOwner(owner, async (tx) => {
    const configs = await tx<ConfigRow[]>`
      select c.id, c.name, c.voice_id, v.name as voice_name, c.system_prompt, c.greeting, c.llm_model,
             c.stt_language, c.max_call_duration_ms, c.silence_timeout_ms, c.transfer_number, c.version, c.updated_at
        from public.agent_configs c left join public.voices v on v.voice_id = c.voice_id
       order by c.created_at, c.id`;
    const numbers = await tx<NumberRow[]>`
      select n.id, n.e164, n.label, n.agent_config_id, c.name as config_name
        from public.phone_numbers n left join public.agent_configs c on c.id = n.agent_config_id
       order by n.e164`;
    const issues = await tx<IssueRow[]>`
      select subject_type, subject_id, code, severity, message
        from public.config_issues where resolved_at is null
       order by opened_at, code`;
    return {
      owner: { id: owner.id, email: owner.email },
      configs: [...configs],
      numbers: [...numbers],
      issues: [...issues],
    };
  });
}

export async function createConfig(session: Session, owner: Owner, fields: ConfigFields): Promise<string> {
  return session.asOwner(owner, async (tx) => {
    // owner_id defaults to auth.uid(): the owner's own id, as for a frontend insert.
    const [row] = await tx<{ id: string }[]>`insert into public.agent_configs ${tx(fields)} returning id`;
    return row!.id;
  });
}

export interface UpdateResult {
  id: string;
  version: number;
  changed: ConfigColumn[];
}

export async function updateConfig(
  session: Session,
  owner: Owner,
  id: string,
  fields: ConfigFields,
): Promise<UpdateResult> {
  return session.asOwner(owner, async (tx) => {
    const [before] = await tx<
      Record<string, unknown>[]
    >`select * from public.agent_configs where id = ${id} for update`;
    if (!before) throw configNotFound(id, owner);
    const [after] = await tx<Record<string, unknown>[]>`
      update public.agent_configs set ${tx(fields)} where id = ${id} returning *`;
    // RLS could still hide the row from the update (e.g. a policy narrower than select's).
    if (!after) throw configNotFound(id, owner);
    const changed = (Object.keys(fields) as ConfigColumn[]).filter((column) => before[column] !== after[column]);
    return { id, version: after.version as number, changed };
  });
}

export interface UseConfigResult {
  e164: string;
  config: { id: string; name: string };
}

export async function useConfig(
  session: Session,
  owner: Owner,
  number: string,
  configId: string,
): Promise<UseConfigResult> {
  return session.asOwner(owner, async (tx) => {
    const [config] = await tx<
      { id: string; name: string }[]
    >`select id, name from public.agent_configs where id = ${configId}`;
    if (!config) throw configNotFound(configId, owner);
    const [row] = await tx<{ e164: string }[]>`
      update public.phone_numbers set agent_config_id = ${configId}
       where e164 = public.normalize_e164(${number}) returning e164`;
    if (!row) {
      throw new AppError(
        'not_found',
        `no number ${number} among ${owner.email}'s numbers. \`npm run agents -- list --owner ${owner.email}\` shows them; the operator adds numbers with \`npm run agents -- add-number <e164> --owner <email>\`.`,
      );
    }
    return { e164: row.e164, config };
  });
}

export interface DeleteResult {
  id: string;
  name: string;
  /** Numbers that were answered by the config and now have none. */
  orphaned: string[];
}

export async function deleteConfig(session: Session, owner: Owner, id: string): Promise<DeleteResult> {
  return session.asOwner(owner, async (tx) => {
    const numbers = await tx<
      { e164: string }[]
    >`select e164 from public.phone_numbers where agent_config_id = ${id} order by e164`;
    const [row] = await tx<
      { id: string; name: string }[]
    >`delete from public.agent_configs where id = ${id} returning id, name`;
    if (!row) throw configNotFound(id, owner);
    return { id: row.id, name: row.name, orphaned: numbers.map((n) => n.e164) };
  });
}

export interface AddNumberResult {
  id: string;
  e164: string;
  label: string;
}

/** The operator's act: owners cannot claim numbers, so this runs as service_role. */
export async function addNumber(session: Session, owner: Owner, e164: string, label: string): Promise<AddNumberResult> {
  return session.asServiceRole(async (tx) => {
    const [row] = await tx<AddNumberResult[]>`
      insert into public.phone_numbers (e164, owner_id, label) values (${e164}, ${owner.id}, ${label})
      returning id, e164, label`;
    return row!;
  });
}

function configNotFound(id: string, owner: Owner): AppError {
  return new AppError(
    'not_found',
    `no config ${id} among ${owner.email}'s configs. \`npm run agents -- list --owner ${owner.email}\` shows them.`,
  );
}
