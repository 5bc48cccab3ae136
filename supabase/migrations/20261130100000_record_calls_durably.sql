-- Feature: calls rows that are never lost nor left open.
--   record_call(call_id, p)          one idempotent write of a call, keyed by an id the worker picks
--                                    before any write: inserts the start when it is missing, and
--                                    completes the row when p carries the end. A start that could not
--                                    be written goes later, with the end if need be.
--   record_call_heartbeat(call_id)   the live call's worker says it is still there
--   sweep_lost_calls(lapse_ms)       closes open rows whose heartbeat lapsed (end_reason worker_lost)
-- A config deleted between its resolution and the write no longer refuses the row: the row is
-- written with agent_config_id null, exactly as on delete set null leaves an older row.
-- record_call_start / record_call_end stay for existing callers; the worker uses record_call.
-- Access: service_role only (the worker crosses owners).

alter table public.calls add column heartbeat_at timestamptz;
comment on column public.calls.heartbeat_at is
  'Last sign of life from the worker running the call, while it is open. sweep_lost_calls() closes an open row whose heartbeat lapsed.';

-- worker_lost joins the end reasons: the worker running the call died (or lost the database for
-- longer than the lapse). The worker's own end, if it arrives later, replaces it.
alter table public.calls drop constraint calls_end_reason_check;
alter table public.calls add constraint calls_end_reason_check check (end_reason in (
  'caller_hangup', 'agent_hangup', 'transferred', 'max_duration', 'silence_timeout',
  'unknown_number', 'provider_error', 'worker_shutdown', 'error', 'worker_lost'));

-- Open rows are few (live calls, plus lost ones until the sweep): the sweep reads only them.
create index calls_open_started_idx on public.calls (started_at) where ended_at is null;

-- Keys of p are calls columns (agent/config/types.ts CallStart, plus CallCompletion's when the
-- call has ended). The end is an update of its own, after the insert, so call.started and
-- call.ended webhooks both fire even when the start and the end arrive together. An end always
-- wins over the sweep's worker_lost: the worker knew better.
create function public.record_call(p_call_id uuid, p jsonb) returns uuid
language plpgsql security invoker set search_path = '' set lock_timeout = '3s'
as $$
declare
  r public.calls;
  row_id uuid;
begin
  if p_call_id is null or p is null or jsonb_typeof(p) <> 'object' then
    raise exception 'record_call expects a call id and a JSON object of calls columns'
      using errcode = '22023', hint = 'Pass the id the worker picked for the call and {"room_name": ..., "started_at": ..., ...}.';
  end if;
  r := jsonb_populate_record(null::public.calls, p);
  -- The start, unless the row exists (same id, or same livekit_call_id: a job LiveKit dispatched
  -- again for the same SIP call).
  begin
    insert into public.calls (id, room_name, livekit_call_id, trunk_id, dispatch_rule_id, caller_number, dialed_number,
                              owner_id, agent_config_id, config_version, config_source, started_at, heartbeat_at)
    values (p_call_id, r.room_name, r.livekit_call_id, r.trunk_id, r.dispatch_rule_id, r.caller_number, r.dialed_number,
            r.owner_id, r.agent_config_id, r.config_version, r.config_source, coalesce(r.started_at, now()), now())
    on conflict do nothing;
  exception when foreign_key_violation then
    -- The config was deleted after the worker resolved it: written without it. A deleted owner
    -- is not retried (deleting an account deletes its calls): that error stands.
    if r.agent_config_id is null or exists (select 1 from public.agent_configs c where c.id = r.agent_config_id) then
      raise;
    end if;
    insert into public.calls (id, room_name, livekit_call_id, trunk_id, dispatch_rule_id, caller_number, dialed_number,
                              owner_id, agent_config_id, config_version, config_source, started_at, heartbeat_at)
    values (p_call_id, r.room_name, r.livekit_call_id, r.trunk_id, r.dispatch_rule_id, r.caller_number, r.dialed_number,
            r.owner_id, null, r.config_version, r.config_source, coalesce(r.started_at, now()), now())
    on conflict do nothing;
  end;
  select c.id into row_id from public.calls c
   where c.id = p_call_id or (r.livekit_call_id is not null and c.livekit_call_id = r.livekit_call_id)
   order by c.id = p_call_id desc
   limit 1;
  if p ? 'end_reason' then
    update public.calls c
       set answered_at = e.answered_at,
           ended_at = coalesce(e.ended_at, now()),
           end_reason = e.end_reason,
           turns = coalesce(e.turns, 0),
           latency_p50_ms = e.latency_p50_ms,
           latency_p90_ms = e.latency_p90_ms,
           stt_seconds = coalesce(e.stt_seconds, 0),
           llm_prompt_tokens = coalesce(e.llm_prompt_tokens, 0),
           llm_completion_tokens = coalesce(e.llm_completion_tokens, 0),
           tts_characters = coalesce(e.tts_characters, 0),
           details = c.details || coalesce(nullif(p -> 'details', 'null'::jsonb), '{}'::jsonb)
      from jsonb_populate_record(null::public.calls, p - 'details') e
     where c.id = row_id;
  end if;
  return row_id;
end $$;
comment on function public.record_call(uuid, jsonb) is
  'Writes a call idempotently: the start if its row is missing, the end when given. Returns the row id. service_role only.';
revoke execute on function public.record_call(uuid, jsonb) from public, anon, authenticated;
grant execute on function public.record_call(uuid, jsonb) to service_role;

-- True while the row is open. A row the sweep closed stays closed until the worker's end arrives.
create function public.record_call_heartbeat(p_call_id uuid) returns boolean
language plpgsql security invoker set search_path = '' set lock_timeout = '3s'
as $$
begin
  update public.calls set heartbeat_at = now() where id = p_call_id and ended_at is null;
  return found;
end $$;
comment on function public.record_call_heartbeat(uuid) is
  'The live call''s worker is still there: moves heartbeat_at. service_role only.';
revoke execute on function public.record_call_heartbeat(uuid) from public, anon, authenticated;
grant execute on function public.record_call_heartbeat(uuid) to service_role;

-- Any worker may call this at any time, as often as it likes: rows another sweeper holds are
-- skipped, and a closed row is never closed again. ended_at is the last sign of life.
-- p_dry_run counts without closing (a sweeper that has only just reached the database waits a
-- full lapse before closing anything, so live calls have had time to send a heartbeat).
create function public.sweep_lost_calls(p_lapse_ms integer, p_dry_run boolean default false) returns integer
language plpgsql security invoker set search_path = '' set lock_timeout = '3s'
as $$
declare
  swept integer;
begin
  if p_lapse_ms is null or p_lapse_ms <= 0 then
    raise exception 'sweep_lost_calls expects a positive lapse in ms, got %', coalesce(p_lapse_ms::text, 'null')
      using errcode = '22023';
  end if;
  if p_dry_run then
    select count(*) into swept from public.calls c
     where c.ended_at is null and coalesce(c.heartbeat_at, c.started_at) < now() - make_interval(secs => p_lapse_ms / 1000.0);
    return swept;
  end if;
  with lost as (
    select c.id from public.calls c
     where c.ended_at is null and coalesce(c.heartbeat_at, c.started_at) < now() - make_interval(secs => p_lapse_ms / 1000.0)
     for update skip locked
  )
  update public.calls c
     set ended_at = greatest(c.started_at, coalesce(c.heartbeat_at, c.started_at)),
         end_reason = 'worker_lost',
         details = c.details || jsonb_build_object('swept_at', now())
    from lost
   where c.id = lost.id;
  get diagnostics swept = row_count;
  return swept;
end $$;
comment on function public.sweep_lost_calls(integer, boolean) is
  'Closes open calls whose heartbeat is older than p_lapse_ms with end_reason worker_lost; returns how many. service_role only.';
revoke execute on function public.sweep_lost_calls(integer, boolean) from public, anon, authenticated;
grant execute on function public.sweep_lost_calls(integer, boolean) to service_role;
