-- Feature: call transcripts. One row per turn (the caller's words, the agent's words, or a tool
-- call with its arguments and result), written by the worker in batches during the call, so a
-- job process that dies loses at most the last few seconds.
-- Access: owners read their own calls' turns; only the worker (service_role) writes them.
-- PII: text, tool arguments and results are personal data, like calls.caller_number: never log them.
-- Idempotent writes: (call_id, seq) is unique, so a batch retried after a timeout inserts nothing twice.
create table public.call_turns (
  id bigint generated always as identity primary key,
  call_id uuid not null references public.calls (id) on delete cascade,
  owner_id uuid references auth.users (id) on delete cascade,
  seq integer not null,
  role text not null,
  text text not null default '',
  started_ms integer,
  ended_ms integer,
  interrupted boolean not null default false,
  truncated boolean not null default false,
  tool_name text,
  tool_arguments jsonb,
  tool_result jsonb,
  created_at timestamptz not null default now(),
  constraint call_turns_call_seq_key unique (call_id, seq),
  constraint call_turns_seq_check check (seq >= 0),
  constraint call_turns_role_check check (role in ('caller', 'agent', 'tool')),
  constraint call_turns_tool_check check ((role = 'tool') = (tool_name is not null)),
  constraint call_turns_offsets_check check (
    (started_ms is null or started_ms >= 0) and (ended_ms is null or started_ms is null or ended_ms >= started_ms)),
  constraint call_turns_text_length_check check (char_length(text) <= 8000)
);
comment on table public.call_turns is 'Call transcripts: one row per turn or tool call, offsets in ms from the answer.';
comment on column public.call_turns.text is 'PII: what was said. Over 8000 characters the worker cuts it and sets truncated.';
comment on column public.call_turns.started_ms is 'Offset from the moment the call was answered, in milliseconds.';

create index call_turns_owner_created_idx on public.call_turns (owner_id, created_at);

-- owner_id comes from the call, never from the writer: a turn cannot be filed under someone else.
create function private.call_turns_set_owner() returns trigger
language plpgsql security definer set search_path = ''
as $$
begin
  select c.owner_id into new.owner_id from public.calls c where c.id = new.call_id;
  return new;
end;
$$;
create trigger call_turns_set_owner before insert on public.call_turns
  for each row execute function private.call_turns_set_owner();

alter table public.call_turns enable row level security;
grant select on public.call_turns to authenticated;
grant select, insert, delete on public.call_turns to service_role;
grant usage on sequence public.call_turns_id_seq to service_role;

create policy "owners can read their calls' turns" on public.call_turns
  for select to authenticated
  using ((select auth.uid()) = owner_id);
create policy "the worker writes turns" on public.call_turns
  for all to service_role using (true) with check (true);

-- Owner settings: how long transcripts are kept. Empty (null) keeps them.
create table public.owner_settings (
  owner_id uuid primary key references auth.users (id) on delete cascade default auth.uid(),
  transcript_retention_days integer,
  updated_at timestamptz not null default now(),
  constraint owner_settings_retention_check check (transcript_retention_days is null or transcript_retention_days between 1 and 3650)
);
comment on table public.owner_settings is 'Per-owner settings. transcript_retention_days: days to keep call transcripts; null keeps them.';

alter table public.owner_settings enable row level security;
grant select, insert, update (transcript_retention_days) on public.owner_settings to authenticated;
grant select on public.owner_settings to service_role;

create policy "owners read their settings" on public.owner_settings
  for select to authenticated using ((select auth.uid()) = owner_id);
create policy "owners create their settings" on public.owner_settings
  for insert to authenticated with check ((select auth.uid()) = owner_id);
create policy "owners change their settings" on public.owner_settings
  for update to authenticated using ((select auth.uid()) = owner_id) with check ((select auth.uid()) = owner_id);

-- Deletes the turns of calls older than their owner's retention. Run on a schedule (the
-- dispatcher's queue), never by hand; returns how many turns went.
create function public.purge_expired_transcripts() returns integer
language sql security definer set search_path = ''
as $$
  with gone as (
    delete from public.call_turns t
     using public.owner_settings s
     where s.owner_id = t.owner_id
       and s.transcript_retention_days is not null
       and t.created_at < now() - make_interval(days => s.transcript_retention_days)
    returning 1
  )
  select count(*)::integer from gone;
$$;
revoke all on function public.purge_expired_transcripts() from public, anon, authenticated;
grant execute on function public.purge_expired_transcripts() to service_role;
