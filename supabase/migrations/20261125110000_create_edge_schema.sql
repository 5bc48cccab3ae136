-- Feature: the `edge` schema, state private to the edge functions: the voice-preview cache, the
-- per-user preview quota, and the catalog sync's record of which voices it disabled.
-- Access: service_role only. It is not in config.toml's exposed schemas, so the Data API never
-- serves it; functions reach it over SUPABASE_DB_URL acting as service_role.
create schema if not exists edge;
comment on schema edge is 'Edge-function state (voice-preview cache and quotas, catalog-sync bookkeeping). service_role only.';
revoke all on schema edge from public;
grant usage on schema edge to service_role;

-- voice_preview_cache ------------------------------------------------------------------------
create table edge.voice_preview_cache (
  cache_key text primary key,
  voice_id text not null references public.voices (voice_id) on update cascade on delete cascade,
  model_id text not null,
  output_format text not null,
  text_length integer not null,
  content_type text not null,
  audio bytea not null,
  byte_size integer generated always as (octet_length(audio)) stored,
  character_cost integer,
  hit_count integer not null default 0,
  created_at timestamptz not null default now(),
  last_used_at timestamptz not null default now(),
  constraint voice_preview_cache_cache_key_check check (cache_key ~ '^[0-9a-f]{64}$'),
  constraint voice_preview_cache_text_length_check check (text_length between 1 and 5000)
);
comment on table edge.voice_preview_cache is 'Synthesized previews keyed by sha256(voice, model, format, text), so an identical request never reaches ElevenLabs twice. Bounded: least recently used rows are evicted.';
-- Audio is already compressed (or tiny PCM): skip TOAST compression attempts.
alter table edge.voice_preview_cache alter column audio set storage external;
create index voice_preview_cache_last_used_at_idx on edge.voice_preview_cache (last_used_at);
create index voice_preview_cache_voice_id_idx on edge.voice_preview_cache (voice_id);
alter table edge.voice_preview_cache enable row level security;
grant select, insert, update, delete on edge.voice_preview_cache to service_role;

-- The catalog voice and, in the same round trip, its cached preview (touched for LRU). The
-- preview is only returned for an enabled voice; p_cache_key null looks up the voice alone.
create function edge.lookup_voice_preview(p_voice_id text, p_cache_key text)
returns table (voice_id text, name text, enabled boolean, preview_url text, content_type text, audio bytea)
language sql volatile security invoker set search_path = ''
as $$
  with voice as (
    select v.voice_id, v.name, v.enabled, v.preview_url from public.voices v where v.voice_id = p_voice_id
  ), hit as (
    update edge.voice_preview_cache c set last_used_at = now(), hit_count = c.hit_count + 1
     where c.cache_key = p_cache_key and exists (select 1 from voice where voice.enabled)
    returning c.content_type, c.audio
  )
  select voice.voice_id, voice.name, voice.enabled, voice.preview_url, hit.content_type, hit.audio
    from voice left join hit on true;
$$;

-- Stores a finished preview, then evicts least recently used rows beyond either bound.
create function edge.store_voice_preview(
  p_cache_key text, p_voice_id text, p_model_id text, p_output_format text, p_text_length integer,
  p_content_type text, p_audio bytea, p_character_cost integer, p_max_entries integer, p_max_bytes bigint
) returns void
language plpgsql volatile security invoker set search_path = ''
as $$
begin
  insert into edge.voice_preview_cache (cache_key, voice_id, model_id, output_format, text_length, content_type, audio, character_cost)
  values (p_cache_key, p_voice_id, p_model_id, p_output_format, p_text_length, p_content_type, p_audio, p_character_cost)
  on conflict (cache_key) do nothing;
  delete from edge.voice_preview_cache c
   using (
     select r.cache_key,
            row_number() over w as position,
            sum(r.byte_size) over w as running_bytes
       from edge.voice_preview_cache r
     window w as (order by r.last_used_at desc, r.cache_key)
   ) ranked
   where c.cache_key = ranked.cache_key
     and (ranked.position > p_max_entries or ranked.running_bytes > p_max_bytes);
end $$;

-- voice_preview_usage: the per-user quota on synthesized previews -----------------------------
create table edge.voice_preview_usage (
  user_id uuid not null,
  window_start timestamptz not null,
  requests integer not null default 0,
  characters integer not null default 0,
  primary key (user_id, window_start)
);
comment on table edge.voice_preview_usage is 'Synthesized previews per user per fixed window, so no user can run up the TTS bill. Cache hits are free and not counted.';
create index voice_preview_usage_window_start_idx on edge.voice_preview_usage (window_start);
alter table edge.voice_preview_usage enable row level security;
grant select, insert, update, delete on edge.voice_preview_usage to service_role;

-- Takes one request and p_characters from the caller's current window. Returns 0 when allowed,
-- else the milliseconds until the window resets (for Retry-After). Old windows are dropped.
create function edge.take_voice_preview_quota(
  p_user_id uuid, p_characters integer, p_window_ms integer, p_max_requests integer, p_max_characters integer
) returns integer
language plpgsql volatile security invoker set search_path = ''
as $$
declare
  v_window_start timestamptz := to_timestamp(floor(extract(epoch from now()) * 1000 / p_window_ms) * p_window_ms / 1000.0);
begin
  delete from edge.voice_preview_usage where window_start < now() - interval '1 day';
  delete from edge.voice_preview_usage where user_id = p_user_id and window_start < v_window_start;
  insert into edge.voice_preview_usage (user_id, window_start) values (p_user_id, v_window_start)
  on conflict (user_id, window_start) do nothing;
  update edge.voice_preview_usage
     set requests = requests + 1, characters = characters + p_characters
   where user_id = p_user_id and window_start = v_window_start
     and requests + 1 <= p_max_requests and characters + p_characters <= p_max_characters;
  if found then
    return 0;
  end if;
  return greatest(1, ceil(extract(epoch from (v_window_start + p_window_ms * interval '1 millisecond' - clock_timestamp())) * 1000))::integer;
end $$;

-- voice_disablements: voices the sync or a voice_not_found disabled ---------------------------
-- A voice an operator disabled has no row here, so the sync never re-enables it.
create table edge.voice_disablements (
  voice_id text primary key references public.voices (voice_id) on update cascade on delete cascade,
  reason text not null,
  disabled_at timestamptz not null default now(),
  constraint voice_disablements_reason_check check (reason in ('vanished', 'voice_not_found'))
);
comment on table edge.voice_disablements is 'Why the catalog sync or voice-preview disabled a voice; the sync re-enables these when ElevenLabs lists them again.';
alter table edge.voice_disablements enable row level security;
grant select, insert, update, delete on edge.voice_disablements to service_role;

-- Disables a catalog voice ElevenLabs no longer knows. The update fires the voices trigger that
-- flags every config using it (voice_disabled). A default voice hands the default to another
-- enabled voice first (premade, then by name); the only enabled voice is left alone.
create function edge.disable_voice(p_voice_id text, p_reason text) returns jsonb
language plpgsql volatile security invoker set search_path = ''
as $$
declare
  target record;
  next_default text;
begin
  select v.voice_id, v.enabled, v.is_default into target from public.voices v where v.voice_id = p_voice_id for update;
  if target.voice_id is null or not target.enabled then
    return jsonb_build_object('disabled', false, 'default_moved_to', null);
  end if;
  if target.is_default then
    select v.voice_id into next_default from public.voices v
     where v.enabled and v.voice_id <> p_voice_id
     order by (v.category = 'premade') desc, v.name, v.voice_id
     limit 1;
    if next_default is null then
      return jsonb_build_object('disabled', false, 'default_moved_to', null);
    end if;
    update public.voices set is_default = false, enabled = false where voice_id = p_voice_id;
    update public.voices set is_default = true where voice_id = next_default;
  else
    update public.voices set enabled = false where voice_id = p_voice_id;
  end if;
  insert into edge.voice_disablements (voice_id, reason) values (p_voice_id, p_reason)
  on conflict (voice_id) do update set reason = excluded.reason, disabled_at = now();
  return jsonb_build_object('disabled', true, 'default_moved_to', next_default);
end $$;

revoke execute on all functions in schema edge from public;
grant execute on function edge.lookup_voice_preview(text, text) to service_role;
grant execute on function edge.store_voice_preview(text, text, text, text, integer, text, bytea, integer, integer, bigint) to service_role;
grant execute on function edge.take_voice_preview_quota(uuid, integer, integer, integer, integer) to service_role;
grant execute on function edge.disable_voice(text, text) to service_role;
