-- Feature: the worker's database calls as RPCs, so both backends run the same SQL: the Postgres
-- backend calls them over its connection, the Supabase backend through PostgREST
-- (/rest/v1/rpc/<fn>), which needs no table routes.
--   resolve_agent_configs(numbers)   many resolve_agent_config() in one round trip (reconcile)
--   record_call_start(p)             the calls row at call start; returns its id
--   record_call_end(call_id, p)      completes that row: end reason, turns, latency, usage
-- Access: service_role only (the worker crosses owners).

-- One round trip for the worker's periodic reconcile and for refetching after a reconnect.
-- Answers in the order of p_dialed_numbers.
create function public.resolve_agent_configs(p_dialed_numbers text[]) returns jsonb
language sql stable security invoker set search_path = ''
as $$
  select coalesce(jsonb_agg(public.resolve_agent_config(u.dialed) order by u.position), '[]'::jsonb)
    from unnest(p_dialed_numbers) with ordinality as u (dialed, position);
$$;
comment on function public.resolve_agent_configs(text[]) is
  'resolve_agent_config() for each number, as a JSON array in the same order. service_role only.';
revoke execute on function public.resolve_agent_configs(text[]) from public, anon, authenticated;
grant execute on function public.resolve_agent_configs(text[]) to service_role;

-- Keys of p are calls columns (agent/config/types.ts CallStart). A job LiveKit dispatches again
-- for the same SIP call (same livekit_call_id) gets the same row back instead of a duplicate.
create function public.record_call_start(p jsonb) returns uuid
language plpgsql security invoker set search_path = ''
as $$
declare
  call_id uuid;
begin
  if p is null or jsonb_typeof(p) <> 'object' then
    raise exception 'record_call_start expects a JSON object of calls columns, got %', coalesce(jsonb_typeof(p), 'null')
      using errcode = '22023', hint = 'Pass the call as {"room_name": ..., "started_at": ..., ...}.';
  end if;
  insert into public.calls (room_name, livekit_call_id, trunk_id, dispatch_rule_id, caller_number, dialed_number,
                            owner_id, agent_config_id, config_version, config_source, started_at)
  select r.room_name, r.livekit_call_id, r.trunk_id, r.dispatch_rule_id, r.caller_number, r.dialed_number,
         r.owner_id, r.agent_config_id, r.config_version, r.config_source, coalesce(r.started_at, now())
    from jsonb_populate_record(null::public.calls, p) r
  on conflict (livekit_call_id) do update set room_name = excluded.room_name
  returning id into call_id;
  return call_id;
end $$;
comment on function public.record_call_start(jsonb) is
  'Inserts the calls row at call start (idempotent per livekit_call_id) and returns its id. service_role only.';
revoke execute on function public.record_call_start(jsonb) from public, anon, authenticated;
grant execute on function public.record_call_start(jsonb) to service_role;

-- Keys of p are calls columns (agent/config/types.ts CallCompletion). details is merged into
-- what the row already holds. Completing twice keeps the later values.
create function public.record_call_end(p_call_id uuid, p jsonb) returns void
language plpgsql security invoker set search_path = ''
as $$
begin
  if p is null or jsonb_typeof(p) <> 'object' then
    raise exception 'record_call_end expects a JSON object of calls columns, got %', coalesce(jsonb_typeof(p), 'null')
      using errcode = '22023', hint = 'Pass the outcome as {"ended_at": ..., "end_reason": ..., ...}.';
  end if;
  update public.calls c
     set answered_at = r.answered_at,
         ended_at = coalesce(r.ended_at, now()),
         end_reason = r.end_reason,
         turns = coalesce(r.turns, 0),
         latency_p50_ms = r.latency_p50_ms,
         latency_p90_ms = r.latency_p90_ms,
         stt_seconds = coalesce(r.stt_seconds, 0),
         llm_prompt_tokens = coalesce(r.llm_prompt_tokens, 0),
         llm_completion_tokens = coalesce(r.llm_completion_tokens, 0),
         tts_characters = coalesce(r.tts_characters, 0),
         details = c.details || coalesce(nullif(p -> 'details', 'null'::jsonb), '{}'::jsonb)
    from jsonb_populate_record(null::public.calls, p - 'details') r
   where c.id = p_call_id;
  if not found then
    raise exception 'calls row % does not exist', p_call_id
      using errcode = 'P0002', hint = 'Pass the id record_call_start returned.';
  end if;
end $$;
comment on function public.record_call_end(uuid, jsonb) is
  'Completes a calls row: end reason, turns, per-turn latency and usage. service_role only.';
revoke execute on function public.record_call_end(uuid, jsonb) from public, anon, authenticated;
grant execute on function public.record_call_end(uuid, jsonb) to service_role;
