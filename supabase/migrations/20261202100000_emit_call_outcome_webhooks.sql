-- Feature: webhooks for call outcomes.
--   messages inserted                          -> message.created {message}
--   a call is ended and its analysis settled   -> call.ended {call, transcript, transcript_truncated,
--                                                 messages, analysis}
-- call.ended used to fire when ended_at was set; it now waits for the post-call analysis, so it
-- carries the summary and outcome. "Settled" is analysis_status done, failed or skipped, whichever
-- order the worker writes the end and the analysis in (a call ended with analysis skipped or failed
-- at once sends it at once). private.expire_pending_analyses(), run by the dispatcher's sweep,
-- settles analyses that never arrive, so no call.ended waits forever.
-- Size: the transcript in call.ended is cut at about 256 KB (turns in order, the last one kept cut
-- with a marker, transcript_truncated true); messages at the first 50. call_turns and messages
-- keep everything.
-- Access: triggers and the dispatcher (database owner) only.

-- message.created ----------------------------------------------------------------------------
create function private.webhook_message(m public.messages) returns jsonb
language sql stable security invoker set search_path = ''
as $$
  select jsonb_build_object(
    'id', m.id, 'call_id', m.call_id, 'caller_name', m.caller_name, 'callback_number', m.callback_number,
    'body', m.body, 'urgent', m.urgent, 'created_at', private.webhook_time(m.created_at));
$$;

-- A message retried by the worker (on conflict do nothing) inserts no row, so it sends nothing twice.
create function private.messages_emit_webhooks() returns trigger
language plpgsql security definer set search_path = ''
as $$
begin
  perform private.enqueue_webhook_event(new.owner_id, 'message.created', jsonb_build_object('message', private.webhook_message(new)));
  return null;
end $$;
create trigger messages_emit_webhooks after insert on public.messages
  for each row execute function private.messages_emit_webhooks();

-- call.ended ---------------------------------------------------------------------------------
-- True when some enabled endpoint of the owner wants p_type: lets a trigger skip building a large
-- payload (the transcript) that nobody would receive.
create function private.wants_webhook_event(p_owner_id uuid, p_type text) returns boolean
language sql stable security definer set search_path = ''
as $$
  select exists (select 1 from public.webhook_endpoints e where e.owner_id = p_owner_id and e.enabled and p_type = any (e.events));
$$;

create function private.webhook_turn(t public.call_turns) returns jsonb
language sql stable security invoker set search_path = ''
as $$
  select jsonb_build_object(
    'seq', t.seq, 'role', t.role, 'text', t.text, 'started_ms', t.started_ms, 'ended_ms', t.ended_ms,
    'interrupted', t.interrupted, 'truncated', t.truncated,
    'tool_name', t.tool_name, 'tool_arguments', t.tool_arguments, 'tool_result', t.tool_result);
$$;

-- Appended to the text of the turn where the transcript was cut.
create function private.webhook_transcript_marker() returns text
language sql immutable security invoker set search_path = ''
as $$ select ' [… transcript truncated]' $$;

-- The call's turns in seq order, within about p_limit_bytes of JSON: each turn counts its text,
-- tool arguments and result, plus 200 bytes for its keys. The turn that crosses the limit keeps
-- the text that fits, ending with the marker (a tool turn is not cut: it is left out); the turns
-- after it are left out. Returns {turns, truncated}.
create function private.webhook_transcript(p_call_id uuid, p_limit_bytes integer default 262144) returns jsonb
language plpgsql stable security invoker set search_path = ''
as $$
declare
  v_turns jsonb;
  v_over_seq integer;
  v_over public.call_turns;
  v_used bigint;
  v_room integer;
  v_text text;
begin
  with sized as (
    select t, t.seq, sum(200 + octet_length(t.text) + coalesce(octet_length(t.tool_arguments::text), 0)
                         + coalesce(octet_length(t.tool_result::text), 0)) over (order by t.seq) as running
      from public.call_turns t
     where t.call_id = p_call_id
  )
  select coalesce(jsonb_agg(private.webhook_turn(s.t) order by s.seq) filter (where s.running <= p_limit_bytes), '[]'::jsonb),
         coalesce(max(s.running) filter (where s.running <= p_limit_bytes), 0),
         min(s.seq) filter (where s.running > p_limit_bytes)
    into v_turns, v_used, v_over_seq
    from sized s;
  if v_over_seq is null then
    return jsonb_build_object('turns', v_turns, 'truncated', false);
  end if;
  select t.* into v_over from public.call_turns t where t.call_id = p_call_id and t.seq = v_over_seq;
  v_room := (p_limit_bytes - v_used - 200 - octet_length(private.webhook_transcript_marker()))::integer;
  if v_over.tool_name is null and v_room > 0 then
    v_text := left(v_over.text, v_room);
    -- left() counts characters; drop more until the UTF-8 bytes fit too.
    while octet_length(v_text) > v_room loop
      v_text := left(v_text, char_length(v_text) - greatest(1, (octet_length(v_text) - v_room) / 4));
    end loop;
    v_over.text := v_text || private.webhook_transcript_marker();
    v_over.truncated := true;
    v_turns := v_turns || jsonb_build_array(private.webhook_turn(v_over));
  end if;
  return jsonb_build_object('turns', v_turns, 'truncated', true);
end $$;

-- Messages in call.ended: the first 50 (each also had its own message.created).
create or replace function private.webhook_call_ended_data(c public.calls) returns jsonb
language plpgsql stable security invoker set search_path = ''
as $$
declare
  v_transcript jsonb := private.webhook_transcript(c.id);
begin
  return jsonb_build_object(
    'call', private.webhook_call(c) || jsonb_build_object('summary', c.summary, 'outcome', c.outcome, 'analysis_status', c.analysis_status),
    'transcript', v_transcript -> 'turns',
    'transcript_truncated', v_transcript -> 'truncated',
    'messages', coalesce((
      select jsonb_agg(private.webhook_message(m) order by m.created_at, m.id)
        from (select * from public.messages m where m.call_id = c.id order by m.created_at, m.id limit 50) m), '[]'::jsonb),
    'analysis', jsonb_build_object('status', c.analysis_status, 'summary', c.summary, 'outcome', c.outcome, 'error', c.analysis_error));
end $$;

-- A call is settled when it has ended and its analysis is no longer pending. call.ended is sent
-- when a call becomes settled: once, whatever the order of the writes.
create or replace function private.calls_emit_webhooks() returns trigger
language plpgsql security definer set search_path = ''
as $$
declare
  v_settled boolean := new.ended_at is not null and new.analysis_status <> 'pending';
begin
  if tg_op = 'INSERT' then
    perform private.enqueue_webhook_event(new.owner_id, 'call.started', jsonb_build_object('call', private.webhook_call(new)));
  elsif old.ended_at is not null and old.analysis_status <> 'pending' then
    v_settled := false;  -- was settled already: call.ended went out then
  end if;
  if v_settled and private.wants_webhook_event(new.owner_id, 'call.ended') then
    perform private.enqueue_webhook_event(new.owner_id, 'call.ended', private.webhook_call_ended_data(new));
  end if;
  return null;
end $$;
drop trigger calls_emit_webhooks on public.calls;
create trigger calls_emit_webhooks after insert or update of ended_at, analysis_status on public.calls
  for each row execute function private.calls_emit_webhooks();

-- Analyses that never arrive (the worker died after the hang-up, a call from a number no config
-- answers, an older worker that does not analyse) are settled p_after_ms after the end: skipped
-- when the call has no config or the config does not analyse calls, failed otherwise. A late
-- analysis may still overwrite them; call.ended has gone out by then. Returns how many.
create function private.expire_pending_analyses(p_after_ms bigint) returns integer
language plpgsql volatile security definer set search_path = ''
as $$
declare
  v_count integer;
begin
  with late as (
    select c.id, coalesce(a.post_call_analysis, false) as analyses
      from public.calls c
      left join public.agent_configs a on a.id = c.agent_config_id
     where c.analysis_status = 'pending' and c.ended_at < now() - p_after_ms * interval '1 millisecond'
     for update of c skip locked
  )
  update public.calls c
     set analysis_status = case when late.analyses then 'failed' else 'skipped' end,
         analysis_error = case when late.analyses
                          then format('no analysis arrived within %s s of the end of the call', p_after_ms / 1000) end
    from late
   where c.id = late.id;
  get diagnostics v_count = row_count;
  return v_count;
end $$;
create index calls_analysis_pending_idx on public.calls (ended_at) where analysis_status = 'pending';

-- Retention ----------------------------------------------------------------------------------
-- Transcripts also live in the call.ended events that carried them: past the owner's retention,
-- those copies go too (replaced by an empty transcript, transcript_purged true).
create or replace function public.purge_expired_transcripts() returns integer
language plpgsql security definer set search_path = ''
as $$
declare
  v_count integer;
begin
  with gone as (
    delete from public.call_turns t
     using public.owner_settings s
     where s.owner_id = t.owner_id
       and s.transcript_retention_days is not null
       and t.created_at < now() - make_interval(days => s.transcript_retention_days)
    returning 1
  )
  select count(*)::integer into v_count from gone;
  update public.webhook_events e
     set data = e.data || jsonb_build_object('transcript', '[]'::jsonb, 'transcript_purged', true)
    from public.owner_settings s
   where s.owner_id = e.owner_id
     and s.transcript_retention_days is not null
     and e.type = 'call.ended'
     and e.created_at < now() - make_interval(days => s.transcript_retention_days)
     and e.data -> 'transcript' <> '[]'::jsonb;
  return v_count;
end $$;

-- Webhook history: events older than p_keep_ms go with their deliveries, unless one is still
-- pending (retries run for about 28 h). At most p_limit events per call, oldest first, so a run
-- holds its locks briefly; the dispatcher runs it until nothing is left. Returns how many went.
create function private.purge_webhook_history(p_keep_ms bigint, p_limit integer default 5000) returns integer
language plpgsql volatile security definer set search_path = ''
as $$
declare
  v_count integer;
begin
  with old as (
    select ev.id from public.webhook_events ev
     where ev.created_at < now() - p_keep_ms * interval '1 millisecond'
       and not exists (select 1 from public.webhook_deliveries d where d.event_id = ev.id and d.status = 'pending')
     order by ev.created_at
     limit p_limit
     for update skip locked
  )
  delete from public.webhook_events ev using old where ev.id = old.id;
  get diagnostics v_count = row_count;
  return v_count;
end $$;
create index webhook_events_created_idx on public.webhook_events (created_at);
