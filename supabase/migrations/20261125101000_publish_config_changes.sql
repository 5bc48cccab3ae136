-- Feature: live config for the worker. Supabase Realtime streams agent_configs, phone_numbers
-- and voices from the supabase_realtime publication; plain Postgres gets the same signal through
-- LISTEN/NOTIFY on channel 'switchboard_config_changed'. Both are invalidation signals: the
-- worker refetches through resolve_agent_config() and keeps only newer versions.

-- Full replica identity so UPDATE and DELETE events carry the old row (Realtime reduces it to
-- the primary key for RLS-protected tables; the worker subscribes as service_role).
alter table public.agent_configs replica identity full;
alter table public.phone_numbers replica identity full;
alter table public.voices replica identity full;

alter publication supabase_realtime add table public.agent_configs, public.phone_numbers, public.voices;

-- One notification per statement, carrying only keys: the id and version of each config, the
-- id, number and config of each phone number, the voice_id of each voice. Payloads are capped at
-- 8000 bytes, so a statement touching more than NOTIFY_MAX_ROWS rows sends {"all": true} and the
-- listener refetches everything it holds.
create function private.notify_config_changed() returns trigger
language plpgsql security definer set search_path = ''
as $$
declare
  max_rows constant integer := 50; -- NOTIFY_MAX_ROWS: 50 phone-number keys stay well under 8000 bytes
  keys jsonb;
begin
  -- Transition tables allow one event per trigger; each branch reads only the tables its event
  -- has. One bounded query per statement: at most max_rows + 1 keys are ever built.
  if tg_table_name = 'agent_configs' then
    if tg_op = 'DELETE' then
      select jsonb_agg(jsonb_build_object('id', id, 'version', version)) into keys from (select * from old_rows limit max_rows + 1) r;
    else
      select jsonb_agg(jsonb_build_object('id', id, 'version', version)) into keys from (select * from new_rows limit max_rows + 1) r;
    end if;
  elsif tg_table_name = 'phone_numbers' then
    if tg_op = 'DELETE' then
      select jsonb_agg(jsonb_build_object('id', id, 'e164', e164, 'agent_config_id', agent_config_id)) into keys from (select * from old_rows limit max_rows + 1) r;
    elsif tg_op = 'UPDATE' then
      -- a number moved to another config, or renumbered, invalidates the old key too
      select jsonb_agg(k) into keys from (
        select jsonb_build_object('id', id, 'e164', e164, 'agent_config_id', agent_config_id) as k from new_rows
        union select jsonb_build_object('id', id, 'e164', e164, 'agent_config_id', agent_config_id) from old_rows
        limit max_rows + 1) x;
    else
      select jsonb_agg(jsonb_build_object('id', id, 'e164', e164, 'agent_config_id', agent_config_id)) into keys from (select * from new_rows limit max_rows + 1) r;
    end if;
  else
    if tg_op = 'DELETE' then
      select jsonb_agg(jsonb_build_object('voice_id', voice_id)) into keys from (select * from old_rows limit max_rows + 1) r;
    else
      select jsonb_agg(jsonb_build_object('voice_id', voice_id)) into keys from (select * from new_rows limit max_rows + 1) r;
    end if;
  end if;
  if keys is null then
    return null;
  end if;
  if jsonb_array_length(keys) > max_rows then
    perform pg_notify('switchboard_config_changed', jsonb_build_object('table', tg_table_name, 'op', lower(tg_op), 'all', true)::text);
    return null;
  end if;
  perform pg_notify('switchboard_config_changed', jsonb_build_object('table', tg_table_name, 'op', lower(tg_op), 'rows', keys)::text);
  return null;
end $$;

create trigger agent_configs_notify_inserted after insert on public.agent_configs
  referencing new table as new_rows for each statement execute function private.notify_config_changed();
create trigger agent_configs_notify_updated after update on public.agent_configs
  referencing new table as new_rows old table as old_rows for each statement execute function private.notify_config_changed();
create trigger agent_configs_notify_deleted after delete on public.agent_configs
  referencing old table as old_rows for each statement execute function private.notify_config_changed();

create trigger phone_numbers_notify_inserted after insert on public.phone_numbers
  referencing new table as new_rows for each statement execute function private.notify_config_changed();
create trigger phone_numbers_notify_updated after update on public.phone_numbers
  referencing new table as new_rows old table as old_rows for each statement execute function private.notify_config_changed();
create trigger phone_numbers_notify_deleted after delete on public.phone_numbers
  referencing old table as old_rows for each statement execute function private.notify_config_changed();

create trigger voices_notify_inserted after insert on public.voices
  referencing new table as new_rows for each statement execute function private.notify_config_changed();
create trigger voices_notify_updated after update on public.voices
  referencing new table as new_rows old table as old_rows for each statement execute function private.notify_config_changed();
create trigger voices_notify_deleted after delete on public.voices
  referencing old table as old_rows for each statement execute function private.notify_config_changed();
