-- Feature: voices, the one catalog of TTS voices every dropdown and the agent use.
-- Access: anyone may read it (anon and authenticated); only service_role writes it.
-- Rules: voice_id is an ElevenLabs voice ID (20 ASCII letters and digits); exactly one
-- enabled voice is the default while the catalog holds any voice.
create table public.voices (
  voice_id text primary key,
  provider text not null default 'elevenlabs',
  name text not null,
  category text not null default 'premade',
  labels jsonb not null default '{}'::jsonb,
  preview_url text,
  enabled boolean not null default true,
  is_default boolean not null default false,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  constraint voices_voice_id_check check (voice_id ~ '^[A-Za-z0-9]{20}$'),
  constraint voices_provider_check check (provider in ('elevenlabs')),
  constraint voices_name_check check (length(btrim(name)) between 1 and 100),
  constraint voices_category_check check (category in ('premade', 'cloned', 'generated', 'professional', 'famous', 'high_quality')),
  constraint voices_labels_check check (jsonb_typeof(labels) = 'object'),
  constraint voices_preview_url_check check (preview_url is null or preview_url ~ '^https?://'),
  constraint voices_default_enabled_check check (not is_default or enabled)
);
comment on table public.voices is 'The TTS voice catalog: the only source of valid voice IDs.';
comment on column public.voices.voice_id is 'ElevenLabs voice ID: exactly 20 ASCII letters and digits, never a friendly name.';
comment on column public.voices.is_default is 'The voice new configs get and the agent falls back to. Exactly one enabled voice has it.';

-- At most one default, checked at once so the error names the problem.
create unique index voices_one_default_idx on public.voices (is_default) where is_default;
create unique index voices_name_lower_idx on public.voices (lower(name), provider);

alter table public.voices enable row level security;
grant select on public.voices to anon, authenticated;
grant select, insert, update, delete on public.voices to service_role;

create policy "anyone can read the voice catalog" on public.voices
  for select to anon, authenticated
  using (true);

create trigger voices_touch_updated_at before update on public.voices
  for each row execute function private.touch_updated_at();

-- At least one enabled default while the catalog is not empty. Deferred, so a default can be
-- moved from one voice to another inside one transaction.
create function private.assert_one_default_voice() returns trigger
language plpgsql security definer set search_path = ''
as $$
begin
  if exists (select 1 from public.voices)
     and not exists (select 1 from public.voices where is_default and enabled) then
    raise exception 'the voices catalog must have exactly one enabled default voice (is_default = true)'
      using errcode = '23514', constraint = 'voices_one_default_check',
            hint = 'Set is_default = true on one enabled voice in public.voices in the same transaction.';
  end if;
  return null;
end $$;
create constraint trigger voices_one_default_check
  after insert or update or delete on public.voices
  deferrable initially deferred
  for each row execute function private.assert_one_default_voice();

-- The voice new configs get. Stable: read once per statement.
create function public.default_voice_id() returns text
language sql stable security definer set search_path = ''
as $$ select voice_id from public.voices where is_default and enabled limit 1 $$;
comment on function public.default_voice_id() is 'The catalog''s default voice: the default for new agent configs and the fallback voice.';
grant execute on function public.default_voice_id() to anon, authenticated, service_role;
