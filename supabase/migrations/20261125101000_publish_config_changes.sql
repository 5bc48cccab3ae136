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
-- id and number of each phone number, the voice_id of each voice. Payloads are capped at 8000
-- bytes, so a large statement sends {"all": true} and the listener refetches everything it holds.
create function private.config_change_payload(p_table text, p_op text, p_rows jsonb) returns text
language sql immutable security invoker set search_path = ''
as $$
  select case when octet_length(full_payload) > 7900
              then jsonb_build_object('table', p_table, 'op', p_op, 'all', true)::text
              else full_payload end
    from (select jsonb_build_object('table', p_table, 'op', p_op, 'rows', coalesce((
            select jsonb_agg(case p_table
                     when 'agent_configs' then jsonb_build_object('id', r -> 'id', 'version', r -> 'version')
                     when 'phone_numbers' then jsonb_build_object('id', r -> 'id', 'e164', r -> 'e164', 'agent_config_id', r -> 'agent_config_id')
                     else jsonb_build_object('voice_id', r -> 'voice_id') end)
              from jsonb_array_elements(p_rows) r), '[]'::jsonb))::text as full_payload) p;
$$;

-- Transition tables allow one event per trigger, hence three small functions.
create function private.notify_config_inserted() returns trigger
language plpgsql security definer set search_path = ''
as $$
begin
  if not exists (select 1 from new_rows) then return null; end if;
  perform pg_notify('switchboard_config_changed', private.config_change_payload(tg_table_name, 'insert',
    (select jsonb_agg(to_jsonb(n)) from new_rows n)));
  return null;
end $$;

-- Updates carry the old rows too: a number moved to another config invalidates both.
create function private.notify_config_updated() returns trigger
language plpgsql security definer set search_path = ''
as $$
begin
  if not exists (select 1 from new_rows) then return null; end if;
  perform pg_notify('switchboard_config_changed', private.config_change_payload(tg_table_name, 'update',
    (select jsonb_agg(r) from (select to_jsonb(n) as r from new_rows n
                               union all select to_jsonb(o) from old_rows o) x)));
  return null;
end $$;

create function private.notify_config_deleted() returns trigger
language plpgsql security definer set search_path = ''
as $$
begin
  if not exists (select 1 from old_rows) then return null; end if;
  perform pg_notify('switchboard_config_changed', private.config_change_payload(tg_table_name, 'delete',
    (select jsonb_agg(to_jsonb(o)) from old_rows o)));
  return null;
end $$;

create trigger agent_configs_notify_inserted after insert on public.agent_configs
  referencing new table as new_rows for each statement execute function private.notify_config_inserted();
create trigger agent_configs_notify_updated after update on public.agent_configs
  referencing new table as new_rows old table as old_rows for each statement execute function private.notify_config_updated();
create trigger agent_configs_notify_deleted after delete on public.agent_configs
  referencing old table as old_rows for each statement execute function private.notify_config_deleted();

create trigger phone_numbers_notify_inserted after insert on public.phone_numbers
  referencing new table as new_rows for each statement execute function private.notify_config_inserted();
create trigger phone_numbers_notify_updated after update on public.phone_numbers
  referencing new table as new_rows old table as old_rows for each statement execute function private.notify_config_updated();
create trigger phone_numbers_notify_deleted after delete on public.phone_numbers
  referencing old table as old_rows for each statement execute function private.notify_config_deleted();

create trigger voices_notify_inserted after insert on public.voices
  referencing new table as new_rows for each statement execute function private.notify_config_inserted();
create trigger voices_notify_updated after update on public.voices
  referencing new table as new_rows old table as old_rows for each statement execute function private.notify_config_updated();
create trigger voices_notify_deleted after delete on public.voices
  referencing old table as old_rows for each statement execute function private.notify_config_deleted();
