-- Feature: triggers that open and resolve config_issues, so bad configuration is visible
-- instead of failing a call later. Each refresh_* function recomputes every code for a set of
-- subjects; statement-level triggers call them once per statement with the touched ids, so a
-- bulk import pays one pass, not one per row.
--
-- Codes (subject):
--   voice_disabled        (agent_config)  its voice is disabled in the catalog; the agent falls back to the default voice
--   voice_not_found       (agent_config)  the TTS provider said the voice does not exist (reported by the worker or functions)
--   prompt_empty          (agent_config)  no system prompt; the agent has no instructions
--   transfer_to_own_number(agent_config)  transfer_number is one of Switchboard's own numbers: the call would loop
--   number_without_config (phone_number)  nobody answers this number; callers hear 'not in service'
--   number_owner_mismatch (phone_number)  the answering config belongs to another owner
--   legacy_voice_unmapped (legacy_import) an imported voice value maps to no catalog voice

create function private.refresh_agent_config_issues(p_ids uuid[]) returns void
language plpgsql security definer set search_path = ''
as $$
begin
  if cardinality(p_ids) = 0 then return; end if;
  with facts as (
    select c.id, c.owner_id, c.voice_id, v.name as voice_name, coalesce(v.enabled, false) as voice_enabled,
           btrim(c.system_prompt) = '' as prompt_empty, c.transfer_number,
           c.transfer_number is not null and exists (select 1 from public.phone_numbers p where p.e164 = c.transfer_number) as transfer_loops
      from public.agent_configs c
      left join public.voices v on v.voice_id = c.voice_id
     where c.id = any (p_ids)
  ), wanted as (
    select id, owner_id, 'voice_disabled' as code, 'error' as severity, not voice_enabled as present,
           format('The voice %s (%s) is disabled in the catalog; calls use the default voice until you pick another.', coalesce(voice_name, voice_id), voice_id) as message,
           jsonb_build_object('voice_id', voice_id) as details
      from facts
    union all
    select id, owner_id, 'prompt_empty', 'warning', prompt_empty,
           'The system prompt is empty, so the agent has no instructions. Describe the business and what callers need.',
           '{}'::jsonb
      from facts
    union all
    select id, owner_id, 'transfer_to_own_number', 'error', transfer_loops,
           format('Transfers go to %s, which Switchboard itself answers: the caller would loop back to an agent. Use a human''s number.', transfer_number),
           jsonb_build_object('pii.transfer_number', transfer_number)
      from facts
  ), opened as (
    insert into public.config_issues (owner_id, subject_type, subject_id, code, severity, message, details)
    select owner_id, 'agent_config', id::text, code, severity, message, details from wanted where present
    on conflict (subject_type, subject_id, code) where resolved_at is null
    do update set message = excluded.message, details = excluded.details, owner_id = excluded.owner_id, last_seen_at = now()
    returning 1
  )
  update public.config_issues i set resolved_at = now()
    from wanted w
   where not w.present and i.resolved_at is null
     and i.subject_type = 'agent_config' and i.subject_id = w.id::text and i.code = w.code;
end $$;

create function private.refresh_phone_number_issues(p_ids uuid[]) returns void
language plpgsql security definer set search_path = ''
as $$
begin
  if cardinality(p_ids) = 0 then return; end if;
  with facts as (
    select p.id, p.owner_id, p.e164, p.agent_config_id, c.owner_id as config_owner_id
      from public.phone_numbers p
      left join public.agent_configs c on c.id = p.agent_config_id
     where p.id = any (p_ids)
  ), wanted as (
    select id, owner_id, 'number_without_config' as code, 'error' as severity, agent_config_id is null as present,
           format('Nobody answers %s: it has no agent config, so callers hear that the number is not in service. Pick a config for it.', e164) as message,
           jsonb_build_object('pii.e164', e164) as details
      from facts
    union all
    select id, owner_id, 'number_owner_mismatch', 'error', config_owner_id is not null and config_owner_id <> owner_id,
           format('%s is answered by agent config %s, which belongs to another owner. Pick one of this owner''s configs.', e164, agent_config_id),
           jsonb_build_object('pii.e164', e164, 'agent_config_id', agent_config_id)
      from facts
  ), opened as (
    insert into public.config_issues (owner_id, subject_type, subject_id, code, severity, message, details)
    select owner_id, 'phone_number', id::text, code, severity, message, details from wanted where present
    on conflict (subject_type, subject_id, code) where resolved_at is null
    do update set message = excluded.message, details = excluded.details, owner_id = excluded.owner_id, last_seen_at = now()
    returning 1
  )
  update public.config_issues i set resolved_at = now()
    from wanted w
   where not w.present and i.resolved_at is null
     and i.subject_type = 'phone_number' and i.subject_id = w.id::text and i.code = w.code;
end $$;

-- A deleted subject has nothing left to fix.
create function private.resolve_all_config_issues(p_subject_type text, p_ids text[]) returns void
language sql security definer set search_path = ''
as $$
  update public.config_issues set resolved_at = now()
   where subject_type = p_subject_type and subject_id = any (p_ids) and resolved_at is null;
$$;

-- agent_configs ------------------------------------------------------------------------------
create function private.agent_configs_flag_inserted() returns trigger
language plpgsql security definer set search_path = ''
as $$
begin
  -- A new config has no open issues yet: only rows showing a symptom need the full pass.
  perform private.refresh_agent_config_issues(array(
    select n.id from new_rows n left join public.voices v on v.voice_id = n.voice_id
     where v.enabled is not true or btrim(n.system_prompt) = '' or n.transfer_number is not null));
  return null;
end $$;
create trigger agent_configs_flag_inserted after insert on public.agent_configs
  referencing new table as new_rows
  for each statement execute function private.agent_configs_flag_inserted();

create function private.agent_configs_flag_updated() returns trigger
language plpgsql security definer set search_path = ''
as $$
begin
  perform private.refresh_agent_config_issues(array(select id from new_rows));
  -- A provider's voice_not_found is about the voice: a different voice clears it.
  update public.config_issues i set resolved_at = now()
    from new_rows n join old_rows o on o.id = n.id
   where n.voice_id is distinct from o.voice_id and i.resolved_at is null
     and i.subject_type = 'agent_config' and i.subject_id = n.id::text and i.code = 'voice_not_found';
  -- An owner change can leave numbers pointing at someone else's config.
  perform private.refresh_phone_number_issues(array(
    select p.id from public.phone_numbers p
      join new_rows n on n.id = p.agent_config_id
      join old_rows o on o.id = n.id
     where n.owner_id is distinct from o.owner_id));
  return null;
end $$;
create trigger agent_configs_flag_updated after update on public.agent_configs
  referencing new table as new_rows old table as old_rows
  for each statement execute function private.agent_configs_flag_updated();

create function private.agent_configs_flag_deleted() returns trigger
language plpgsql security definer set search_path = ''
as $$
begin
  perform private.resolve_all_config_issues('agent_config', array(select id::text from old_rows));
  return null;
end $$;
create trigger agent_configs_flag_deleted after delete on public.agent_configs
  referencing old table as old_rows
  for each statement execute function private.agent_configs_flag_deleted();

-- phone_numbers ------------------------------------------------------------------------------
create function private.phone_numbers_flag_changed() returns trigger
language plpgsql security definer set search_path = ''
as $$
begin
  perform private.refresh_phone_number_issues(array(select id from new_rows));
  -- Configs whose transfer number is (or was) one of these numbers.
  perform private.refresh_agent_config_issues(array(
    select c.id from public.agent_configs c
     where c.transfer_number in (select e164 from new_rows)));
  return null;
end $$;
create trigger phone_numbers_flag_inserted after insert on public.phone_numbers
  referencing new table as new_rows
  for each statement execute function private.phone_numbers_flag_changed();

create function private.phone_numbers_flag_updated() returns trigger
language plpgsql security definer set search_path = ''
as $$
begin
  perform private.refresh_phone_number_issues(array(select id from new_rows));
  perform private.refresh_agent_config_issues(array(
    select c.id from public.agent_configs c
     where c.transfer_number in (select e164 from new_rows union select e164 from old_rows)));
  return null;
end $$;
create trigger phone_numbers_flag_updated after update on public.phone_numbers
  referencing new table as new_rows old table as old_rows
  for each statement execute function private.phone_numbers_flag_updated();

create function private.phone_numbers_flag_deleted() returns trigger
language plpgsql security definer set search_path = ''
as $$
begin
  perform private.resolve_all_config_issues('phone_number', array(select id::text from old_rows));
  perform private.refresh_agent_config_issues(array(
    select c.id from public.agent_configs c where c.transfer_number in (select e164 from old_rows)));
  return null;
end $$;
create trigger phone_numbers_flag_deleted after delete on public.phone_numbers
  referencing old table as old_rows
  for each statement execute function private.phone_numbers_flag_deleted();

-- voices: enabling or disabling a voice flags or clears every config using it -----------------
create function private.voices_flag_updated() returns trigger
language plpgsql security definer set search_path = ''
as $$
begin
  perform private.refresh_agent_config_issues(array(
    select c.id from public.agent_configs c
      join new_rows n on n.voice_id = c.voice_id
      join old_rows o on o.voice_id = n.voice_id
     where n.enabled is distinct from o.enabled or n.name is distinct from o.name));
  return null;
end $$;
create trigger voices_flag_updated after update on public.voices
  referencing new table as new_rows old table as old_rows
  for each statement execute function private.voices_flag_updated();

-- Reported by the worker or the voice-preview function when ElevenLabs answers voice_not_found.
create function public.report_voice_not_found(p_agent_config_id uuid, p_voice_id text, p_source text)
returns void
language plpgsql security definer set search_path = ''
as $$
declare
  config record;
begin
  select id, owner_id, voice_id into config from public.agent_configs where id = p_agent_config_id;
  if config.id is null or config.voice_id is distinct from p_voice_id then
    return; -- the config is gone or already uses another voice: nothing to flag
  end if;
  perform private.open_config_issue(config.owner_id, 'agent_config', config.id::text, 'voice_not_found', 'error',
    format('ElevenLabs does not know the voice %s (reported by %s); calls fall back to the default voice. Pick another voice.', p_voice_id, p_source),
    jsonb_build_object('voice_id', p_voice_id, 'source', p_source));
end $$;
comment on function public.report_voice_not_found(uuid, text, text) is 'Flags a config whose voice the TTS provider reported as not found. service_role only.';
revoke execute on function public.report_voice_not_found(uuid, text, text) from public, anon, authenticated;
grant execute on function public.report_voice_not_found(uuid, text, text) to service_role;
