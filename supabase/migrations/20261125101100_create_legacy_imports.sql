-- Feature: importing agent configs from the old system, whose voice_id column held friendly
-- names ('Kate'), prefixed values ('11labs-Kate') and IDs in the wrong case. Rows land in
-- legacy_agent_config_imports as they were; import_legacy_agent_configs() maps each voice to a
-- catalog ID and creates the config. A row it cannot map stays, marked 'needs_attention' and
-- flagged in config_issues: never lost, never silently given the default voice.
-- Access: service_role runs imports; owners read their own import rows and issues.

-- Maps a legacy voice value to a catalog voice_id, or null. Tries, in order: the exact ID, a
-- provider prefix stripped, the ID ignoring case, and the catalog name ignoring case.
create function public.repair_voice_id(raw text) returns text
language sql stable security invoker set search_path = ''
as $$
  with cleaned as (
    select regexp_replace(btrim(coalesce(raw, '')), '^(11labs|elevenlabs|eleven_labs|eleven-labs)[-_:]\s*', '', 'i') as value
  )
  select coalesce(
    (select v.voice_id from public.voices v, cleaned c where v.voice_id = c.value),
    (select v.voice_id from public.voices v, cleaned c where lower(v.voice_id) = lower(c.value) order by v.voice_id limit 1),
    (select v.voice_id from public.voices v, cleaned c where lower(v.name) = lower(c.value) order by v.enabled desc, v.voice_id limit 1)
  );
$$;
comment on function public.repair_voice_id(text) is 'Maps a legacy voice value (11labs- prefix, catalog name, wrong case) to a catalog voice_id, or null.';
grant execute on function public.repair_voice_id(text) to authenticated, service_role;

create table public.legacy_agent_config_imports (
  id uuid primary key default gen_random_uuid(),
  owner_id uuid not null references auth.users (id) on delete cascade,
  name text not null,
  raw_voice_id text,
  system_prompt text not null default '',
  greeting text not null default '',
  phone_number text,
  status text not null default 'pending',
  resolved_voice_id text references public.voices (voice_id),
  agent_config_id uuid references public.agent_configs (id) on delete set null,
  problem text,
  imported_at timestamptz,
  created_at timestamptz not null default now(),
  constraint legacy_agent_config_imports_status_check check (status in ('pending', 'imported', 'needs_attention'))
);
comment on table public.legacy_agent_config_imports is 'Configs from the old system, as they were, until import_legacy_agent_configs() turns them into agent_configs.';
comment on column public.legacy_agent_config_imports.raw_voice_id is 'The old system''s voice value, kept verbatim (may be a name or a prefixed value).';

create index legacy_agent_config_imports_owner_id_idx on public.legacy_agent_config_imports (owner_id);

alter table public.legacy_agent_config_imports enable row level security;
grant select on public.legacy_agent_config_imports to authenticated;
grant select, insert, update, delete on public.legacy_agent_config_imports to service_role;

create policy "owners can read their legacy imports" on public.legacy_agent_config_imports
  for select to authenticated
  using ((select auth.uid()) = owner_id);

-- Imports every pending (and needs_attention, once the catalog may know more) row. Returns
-- how many were imported and how many still need attention.
create function public.import_legacy_agent_configs()
returns table (imported integer, needs_attention integer)
language plpgsql security definer set search_path = ''
as $$
declare
  item record;
  voice text;
  config_id uuid;
  done integer := 0;
  flagged integer := 0;
begin
  for item in
    select * from public.legacy_agent_config_imports where status in ('pending', 'needs_attention') order by created_at, id for update
  loop
    voice := public.repair_voice_id(item.raw_voice_id);
    if voice is null then
      update public.legacy_agent_config_imports
         set status = 'needs_attention',
             problem = format('voice %s matches no voice in public.voices', coalesce(quote_literal(item.raw_voice_id), 'null'))
       where id = item.id;
      perform private.open_config_issue(item.owner_id, 'legacy_import', item.id::text, 'legacy_voice_unmapped', 'error',
        format('The imported config %s used the voice %s, which matches no catalog voice. Pick a voice for it; it has not been created yet.',
               quote_literal(item.name), coalesce(quote_literal(item.raw_voice_id), 'null')),
        jsonb_build_object('raw_voice_id', item.raw_voice_id));
      flagged := flagged + 1;
      continue;
    end if;
    insert into public.agent_configs (owner_id, name, voice_id, system_prompt, greeting)
    values (item.owner_id, item.name, voice, item.system_prompt, item.greeting)
    returning id into config_id;
    if item.phone_number is not null and public.normalize_e164(item.phone_number) is not null then
      insert into public.phone_numbers (e164, owner_id, agent_config_id, label)
      values (item.phone_number, item.owner_id, config_id, item.name)
      on conflict (e164) do nothing;
    end if;
    update public.legacy_agent_config_imports
       set status = 'imported', resolved_voice_id = voice, agent_config_id = config_id, problem = null, imported_at = now()
     where id = item.id;
    perform private.resolve_config_issue('legacy_import', item.id::text, 'legacy_voice_unmapped');
    done := done + 1;
  end loop;
  return query select done, flagged;
end $$;
comment on function public.import_legacy_agent_configs() is 'Turns pending legacy imports into agent_configs, repairing voice values; unmappable rows are kept and flagged. service_role only.';
revoke execute on function public.import_legacy_agent_configs() from public, anon, authenticated;
grant execute on function public.import_legacy_agent_configs() to service_role;
