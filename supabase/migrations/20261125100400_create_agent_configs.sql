-- Feature: agent_configs, one phone agent per row: voice, prompt, greeting, models, call limits.
-- Access: owners manage their own rows; the worker reads them through resolve_agent_config().
-- Rules: voice_id must be an enabled catalog voice (errors say which IDs are valid); `version`
-- is bumped on every change so the worker can tell a newer config from a stale one.
create table public.agent_configs (
  id uuid primary key default gen_random_uuid(),
  owner_id uuid not null default auth.uid() references auth.users (id) on delete cascade,
  name text not null,
  voice_id text not null default public.default_voice_id() references public.voices (voice_id) on update cascade,
  system_prompt text not null default 'You are a friendly, concise receptionist answering the phone for a small business. Help callers, take messages, and keep answers short.',
  greeting text not null default '',
  llm_model text not null default 'gpt-4o-mini',
  stt_language text not null default 'en-US',
  max_call_duration_ms integer not null default 1800000,
  silence_timeout_ms integer not null default 30000,
  transfer_number text,
  version integer not null default 1,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  constraint agent_configs_name_check check (length(btrim(name)) between 1 and 100),
  constraint agent_configs_voice_id_check check (voice_id ~ '^[A-Za-z0-9]{20}$'),
  constraint agent_configs_system_prompt_check check (length(system_prompt) <= 20000),
  constraint agent_configs_greeting_check check (length(greeting) <= 1000),
  constraint agent_configs_llm_model_check check (llm_model ~ '^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$'),
  constraint agent_configs_stt_language_check check (stt_language ~ '^([a-z]{2,3}(-[A-Za-z0-9]{2,8})*|multi)$'),
  constraint agent_configs_max_call_duration_ms_check check (max_call_duration_ms between 60000 and 14400000),
  constraint agent_configs_silence_timeout_ms_check check (silence_timeout_ms between 5000 and 600000),
  constraint agent_configs_transfer_number_check check (transfer_number is null or transfer_number ~ '^\+[1-9][0-9]{6,14}$'),
  -- lets phone_numbers point at (config, owner) pairs
  constraint agent_configs_id_owner_key unique (id, owner_id)
);
comment on table public.agent_configs is 'An owner''s phone agent: voice, prompt, greeting, models and call limits.';
comment on column public.agent_configs.voice_id is 'An enabled voice_id from public.voices. Friendly names and prefixed values are refused.';
comment on column public.agent_configs.greeting is 'Said when the call is answered. Empty: wait for the caller to speak first.';
comment on column public.agent_configs.stt_language is 'BCP-47 language for speech recognition, or ''multi''.';
comment on column public.agent_configs.transfer_number is 'E.164 number a caller can be transferred to; null disables transfers.';
comment on column public.agent_configs.version is 'Bumped by trigger on every change; the worker applies only newer versions.';

create index agent_configs_owner_id_idx on public.agent_configs (owner_id);
create index agent_configs_voice_id_idx on public.agent_configs (voice_id);

alter table public.agent_configs enable row level security;
grant select, insert, update, delete on public.agent_configs to authenticated;
grant select, insert, update, delete on public.agent_configs to service_role;

create policy "owners can read their configs" on public.agent_configs
  for select to authenticated
  using ((select auth.uid()) = owner_id);

create policy "owners can create their configs" on public.agent_configs
  for insert to authenticated
  with check ((select auth.uid()) = owner_id);

create policy "owners can update their configs" on public.agent_configs
  for update to authenticated
  using ((select auth.uid()) = owner_id)
  with check ((select auth.uid()) = owner_id);

create policy "owners can delete their configs" on public.agent_configs
  for delete to authenticated
  using ((select auth.uid()) = owner_id);

-- Voice IDs are checked before the constraints so the error explains itself.
-- Security definer: the caller has no usage on the private schema.
create function private.check_agent_config_voice_id() returns trigger
language plpgsql security definer set search_path = ''
as $$
begin
  if tg_op = 'UPDATE' and new.voice_id is not distinct from old.voice_id then
    return new;
  end if;
  -- The common case, an enabled catalog voice, costs one index probe; only a bad value pays
  -- for the full diagnosis.
  if not exists (select 1 from public.voices v where v.voice_id = new.voice_id and v.enabled) then
    perform private.assert_voice_id('agent_configs.voice_id', new.voice_id, true);
  end if;
  return new;
end $$;
create trigger agent_configs_check_voice_id before insert or update of voice_id on public.agent_configs
  for each row execute function private.check_agent_config_voice_id();

-- version starts at 1 and grows by one with every real change; clients cannot set it.
create function private.bump_agent_config_version() returns trigger
language plpgsql security invoker set search_path = ''
as $$
begin
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
create trigger agent_configs_bump_version before insert or update on public.agent_configs
  for each row execute function private.bump_agent_config_version();
