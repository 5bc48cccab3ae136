-- Feature: agent_configs does the same work on every write with four triggers (one per timing
-- and event) instead of thirteen; a single-row insert fires two instead of six. Each trigger call
-- has a fixed price of its own (the trigger is fired, its function's security and search_path are
-- switched in and out, its transition tables are registered, its queries are started); on a
-- single-row write that price was a large part of what the triggers cost (bench/config_triggers.ts). What each part does is
-- unchanged:
--   before each row: transfer_number normalized to E.164 (was normalize_agent_config_transfer_number),
--     voice_id checked against the enabled catalog (was check_agent_config_voice_id), version,
--     created_at and updated_at kept by the database (was bump_agent_config_version);
--   after each statement: the config_changes audit rows (was audit_agent_configs), the config
--     issues (was agent_configs_flag_*), private.configured_numbers (was
--     agent_configs_refresh_configured) and one NOTIFY switchboard_config_changed (was
--     notify_config_changed, which phone_numbers and voices still use).
-- Access: unchanged; the functions are security definer (the voice check reads the whole catalog
-- and the helpers live in private) with `search_path = ''`.

-- Before each row ------------------------------------------------------------------------------
create function private.agent_configs_before_write() returns trigger
language plpgsql security definer set search_path = ''
as $$
declare
  normalized text;
  transfer_changed boolean;
  voice_changed boolean;
begin
  if tg_op = 'INSERT' then
    transfer_changed := true;
    voice_changed := true;
  else
    -- The separate triggers fired on `update of transfer_number` / `update of voice_id`; a value
    -- set to itself needs no work (a stored transfer number is already E.164).
    transfer_changed := new.transfer_number is distinct from old.transfer_number;
    voice_changed := new.voice_id is distinct from old.voice_id;
  end if;

  if transfer_changed then
    if new.transfer_number is null or btrim(new.transfer_number) = '' then
      new.transfer_number := null;
    else
      normalized := public.normalize_e164(new.transfer_number);
      if normalized is null then
        raise exception 'agent_configs.transfer_number % is not a phone number that can be written in E.164.', quote_literal(new.transfer_number)
          using errcode = '23514', constraint = 'agent_configs_transfer_number_check', column = 'transfer_number',
                hint = 'Use the international form with the country code, e.g. +14155550100 (ten digits such as (415) 555-0100 are read as a North American number). Leave it empty for no transfers.';
      end if;
      new.transfer_number := normalized;
    end if;
  end if;

  -- The common case, an enabled catalog voice, costs one index probe; only a bad value pays for
  -- the full diagnosis (which raises).
  if voice_changed and not exists (select 1 from public.voices v where v.voice_id = new.voice_id and v.enabled) then
    perform private.assert_voice_id('agent_configs.voice_id', new.voice_id, true);
  end if;

  -- Last, so the comparison sees the normalized row.
  if tg_op = 'INSERT' then
    new.version := 1;
    new.created_at := now();
    new.updated_at := now();
  elsif (to_jsonb(new) - '{version,updated_at,created_at}'::text[]) is distinct from (to_jsonb(old) - '{version,updated_at,created_at}'::text[]) then
    new.version := old.version + 1;
    new.created_at := old.created_at;
    new.updated_at := now();
  else
    new.version := old.version;
    new.created_at := old.created_at;
    new.updated_at := old.updated_at;
  end if;
  return new;
end $$;
revoke execute on function private.agent_configs_before_write() from public;

-- After each statement: insert -------------------------------------------------------------------
create function private.agent_configs_after_insert() returns trigger
language plpgsql security definer set search_path = ''
as $$
declare
  -- The claims PostgREST set for this request, read the way auth.uid() and auth.role() read
  -- them: inline, because each call of those switches search_path.
  claims jsonb := nullif(current_setting('request.jwt.claims', true), '')::jsonb;
  actor uuid := nullif(coalesce(nullif(current_setting('request.jwt.claim.sub', true), ''), claims ->> 'sub'), '')::uuid;
  actor_role text := coalesce(nullif(current_setting('request.jwt.claim.role', true), ''), claims ->> 'role', current_user);
  symptomatic uuid[];
begin
  insert into public.config_changes (agent_config_id, owner_id, operation, new_value, version, changed_by, changed_by_role)
  select n.id, n.owner_id, 'insert', to_jsonb(n), n.version, actor, actor_role from new_rows n;

  -- A new config has no open issues yet: only rows showing a symptom need the full pass.
  symptomatic := array(
    select n.id from new_rows n left join public.voices v on v.voice_id = n.voice_id
     where v.enabled is not true or btrim(n.system_prompt) = '' or n.transfer_number is not null);
  if cardinality(symptomatic) > 0 then
    perform private.refresh_agent_config_issues(symptomatic);
  end if;

  -- One notification per statement with the keys (NOTIFY_MAX_ROWS: 50 keys stay well under
  -- 8000 bytes; past that, {all: true}). One bounded query builds and sends it.
  perform pg_notify('switchboard_config_changed', (jsonb_build_object('table', 'agent_configs', 'op', 'insert')
            || case when count(*) > 50 then jsonb_build_object('all', true)
                    else jsonb_build_object('rows', jsonb_agg(jsonb_build_object('id', r.id, 'version', r.version))) end)::text)
     from (select n.id, n.version from new_rows n limit 51) r
   having count(*) > 0;
  return null;
end $$;
revoke execute on function private.agent_configs_after_insert() from public;

-- After each statement: update -------------------------------------------------------------------
create function private.agent_configs_after_update() returns trigger
language plpgsql security definer set search_path = ''
as $$
declare
  claims jsonb := nullif(current_setting('request.jwt.claims', true), '')::jsonb;
  actor uuid := nullif(coalesce(nullif(current_setting('request.jwt.claim.sub', true), ''), claims ->> 'sub'), '')::uuid;
  actor_role text := coalesce(nullif(current_setting('request.jwt.claim.role', true), ''), claims ->> 'role', current_user);
begin
  -- One audit row per changed field.
  insert into public.config_changes (agent_config_id, owner_id, operation, field, old_value, new_value, version, changed_by, changed_by_role)
  select n.id, n.owner_id, 'update', f.key, o_json -> f.key, f.value, n.version, actor, actor_role
    from new_rows n
    join old_rows o on o.id = n.id
    cross join lateral (select to_jsonb(o) as o_json) oj
    cross join lateral jsonb_each(to_jsonb(n)) f
   where f.key not in ('version', 'updated_at', 'created_at')
     and f.value is distinct from oj.o_json -> f.key;

  perform private.refresh_agent_config_issues(array(select n.id from new_rows n));
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
  -- A real change moves the config's numbers up the preload; an owner change can take them off.
  perform private.refresh_configured_numbers(array(
    select p.id from public.phone_numbers p
      join new_rows n on n.id = p.agent_config_id
      join old_rows o on o.id = n.id
     where n.updated_at is distinct from o.updated_at or n.owner_id is distinct from o.owner_id));

  perform pg_notify('switchboard_config_changed', (jsonb_build_object('table', 'agent_configs', 'op', 'update')
            || case when count(*) > 50 then jsonb_build_object('all', true)
                    else jsonb_build_object('rows', jsonb_agg(jsonb_build_object('id', r.id, 'version', r.version))) end)::text)
     from (select n.id, n.version from new_rows n limit 51) r
   having count(*) > 0;
  return null;
end $$;
revoke execute on function private.agent_configs_after_update() from public;

-- After each statement: delete -------------------------------------------------------------------
create function private.agent_configs_after_delete() returns trigger
language plpgsql security definer set search_path = ''
as $$
declare
  claims jsonb := nullif(current_setting('request.jwt.claims', true), '')::jsonb;
  actor uuid := nullif(coalesce(nullif(current_setting('request.jwt.claim.sub', true), ''), claims ->> 'sub'), '')::uuid;
  actor_role text := coalesce(nullif(current_setting('request.jwt.claim.role', true), ''), claims ->> 'role', current_user);
begin
  insert into public.config_changes (agent_config_id, owner_id, operation, old_value, version, changed_by, changed_by_role)
  select o.id, o.owner_id, 'delete', to_jsonb(o), o.version, actor, actor_role from old_rows o
  -- a deleted account takes its history with it (cascade); do not point at a gone user
   where exists (select 1 from auth.users u where u.id = o.owner_id);

  perform private.resolve_all_config_issues('agent_config', array(select o.id::text from old_rows o));

  perform pg_notify('switchboard_config_changed', (jsonb_build_object('table', 'agent_configs', 'op', 'delete')
            || case when count(*) > 50 then jsonb_build_object('all', true)
                    else jsonb_build_object('rows', jsonb_agg(jsonb_build_object('id', r.id, 'version', r.version))) end)::text)
     from (select o.id, o.version from old_rows o limit 51) r
   having count(*) > 0;
  return null;
end $$;
revoke execute on function private.agent_configs_after_delete() from public;

-- The thirteen triggers and the functions only they called are replaced by the four below (same
-- work, see the header).
drop trigger agent_configs_amend_transfer_number on public.agent_configs;
drop trigger agent_configs_check_voice_id on public.agent_configs;
drop trigger agent_configs_bump_version on public.agent_configs;
drop trigger agent_configs_audit_insert on public.agent_configs;
drop trigger agent_configs_audit_update on public.agent_configs;
drop trigger agent_configs_audit_delete on public.agent_configs;
drop trigger agent_configs_flag_inserted on public.agent_configs;
drop trigger agent_configs_flag_updated on public.agent_configs;
drop trigger agent_configs_flag_deleted on public.agent_configs;
drop trigger agent_configs_notify_inserted on public.agent_configs;
drop trigger agent_configs_notify_updated on public.agent_configs;
drop trigger agent_configs_notify_deleted on public.agent_configs;
drop trigger agent_configs_refresh_configured on public.agent_configs;
-- destructive: these functions were only ever called by the triggers dropped above
drop function private.normalize_agent_config_transfer_number();
drop function private.check_agent_config_voice_id();
drop function private.bump_agent_config_version();
drop function private.audit_agent_configs();
drop function private.agent_configs_flag_inserted();
drop function private.agent_configs_flag_updated();
drop function private.agent_configs_flag_deleted();
drop function private.agent_configs_refresh_configured();

create trigger agent_configs_before_write before insert or update on public.agent_configs
  for each row execute function private.agent_configs_before_write();
create trigger agent_configs_after_insert after insert on public.agent_configs
  referencing new table as new_rows
  for each statement execute function private.agent_configs_after_insert();
create trigger agent_configs_after_update after update on public.agent_configs
  referencing old table as old_rows new table as new_rows
  for each statement execute function private.agent_configs_after_update();
create trigger agent_configs_after_delete after delete on public.agent_configs
  referencing old table as old_rows
  for each statement execute function private.agent_configs_after_delete();
