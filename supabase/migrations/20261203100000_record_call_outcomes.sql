-- Feature: the worker writes what a call leaves for its owner, each write idempotent so its durable
-- queue (agent/store/durable_writes.ts) may retry it after a timeout:
--   record_call_turns(call_id, turns)      a batch of transcript turns; (call_id, seq) already
--                                          there is skipped, so a retried batch adds nothing
--   record_call_message(call_id, message)  a message the caller left (take_message); the same text
--                                          again in the same call is the same message: its name,
--                                          number and urgency are replaced (the caller corrected
--                                          them), and no second row or message.created is made
--   record_call_analysis(call_id, p)       the post-call analysis: summary, outcome, status, error,
--                                          and the call's LLM token totals with the analysis in them
--                                          (totals, not increments, so a retry counts nothing twice)
-- Access: service_role only (the worker crosses owners).

create function public.record_call_turns(p_call_id uuid, p_turns jsonb) returns integer
language plpgsql security invoker set search_path = '' set lock_timeout = '3s'
as $$
declare
  v_count integer;
begin
  if p_call_id is null or p_turns is null or jsonb_typeof(p_turns) <> 'array' then
    raise exception 'record_call_turns expects a call id and a JSON array of turns'
      using errcode = '22023', hint = 'Pass [{"seq": 0, "role": "caller", "text": ..., "started_ms": ..., "ended_ms": ...}, ...].';
  end if;
  insert into public.call_turns (call_id, seq, role, text, started_ms, ended_ms, interrupted, truncated,
                                 tool_name, tool_arguments, tool_result)
  select p_call_id, t.seq, t.role, coalesce(t.text, ''), t.started_ms, t.ended_ms, coalesce(t.interrupted, false),
         coalesce(t.truncated, false), t.tool_name, t.tool_arguments, t.tool_result
    from jsonb_to_recordset(p_turns) as t (seq integer, role text, text text, started_ms integer, ended_ms integer,
                                           interrupted boolean, truncated boolean, tool_name text,
                                           tool_arguments jsonb, tool_result jsonb)
   order by t.seq
  on conflict (call_id, seq) do nothing;
  get diagnostics v_count = row_count;
  return v_count;
end $$;
comment on function public.record_call_turns(uuid, jsonb) is
  'Inserts a batch of a call''s transcript turns; turns already stored (same call_id, seq) are skipped. Returns how many were new. service_role only.';
revoke execute on function public.record_call_turns(uuid, jsonb) from public, anon, authenticated;
grant execute on function public.record_call_turns(uuid, jsonb) to service_role;

create function public.record_call_message(p_call_id uuid, p jsonb) returns uuid
language plpgsql security invoker set search_path = '' set lock_timeout = '3s'
as $$
declare
  v_id uuid;
begin
  if p_call_id is null or p is null or jsonb_typeof(p) <> 'object' then
    raise exception 'record_call_message expects a call id and a JSON object'
      using errcode = '22023', hint = 'Pass {"caller_name": ..., "callback_number": "+1...", "body": ..., "urgent": false}.';
  end if;
  insert into public.messages (call_id, caller_name, callback_number, body, urgent)
  values (p_call_id, coalesce(p ->> 'caller_name', ''), nullif(p ->> 'callback_number', ''), p ->> 'body',
          coalesce((p ->> 'urgent')::boolean, false))
  on conflict (call_id, md5(body)) where call_id is not null do update
     set caller_name = excluded.caller_name, callback_number = excluded.callback_number, urgent = excluded.urgent
  returning id into v_id;
  return v_id;
end $$;
comment on function public.record_call_message(uuid, jsonb) is
  'Files a message taken on a call; the same text in the same call updates that message. Returns its id. service_role only.';
revoke execute on function public.record_call_message(uuid, jsonb) from public, anon, authenticated;
grant execute on function public.record_call_message(uuid, jsonb) to service_role;

-- The end of the call (record_call) goes first in the worker's queue; an analysis for a row that
-- is not there changes nothing and returns false.
create function public.record_call_analysis(p_call_id uuid, p jsonb) returns boolean
language plpgsql security invoker set search_path = '' set lock_timeout = '3s'
as $$
begin
  if p_call_id is null or p is null or jsonb_typeof(p) <> 'object' or coalesce(p ->> 'status', 'pending') = 'pending' then
    raise exception 'record_call_analysis expects a call id and {"status": "done"|"failed"|"skipped", ...}'
      using errcode = '22023', hint = 'Pass {"status": "done", "summary": ..., "outcome": ..., "llm_prompt_tokens": ..., "llm_completion_tokens": ...}.';
  end if;
  update public.calls c
     set analysis_status = p ->> 'status',
         summary = p ->> 'summary',
         outcome = p ->> 'outcome',
         analysis_error = p ->> 'error',
         llm_prompt_tokens = coalesce((p ->> 'llm_prompt_tokens')::integer, c.llm_prompt_tokens),
         llm_completion_tokens = coalesce((p ->> 'llm_completion_tokens')::integer, c.llm_completion_tokens)
   where c.id = p_call_id;
  return found;
end $$;
comment on function public.record_call_analysis(uuid, jsonb) is
  'Writes a call''s post-call analysis (status done, failed or skipped) and its LLM token totals. service_role only.';
revoke execute on function public.record_call_analysis(uuid, jsonb) from public, anon, authenticated;
grant execute on function public.record_call_analysis(uuid, jsonb) to service_role;
