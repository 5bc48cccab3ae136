-- Feature: the webhook outbox. The change that causes an event enqueues it in its own transaction,
-- so an event exists exactly when its cause committed:
--   calls inserted                      -> call.started
--   calls.ended_at set                  -> call.ended (see calls_emit_webhooks: moves to "analysis
--                                          done or failed" when call analysis ships)
--   config_issues inserted (opened)     -> config_issue.opened
--   private.enqueue_webhook_event()     -> any event, for writers such as messages (message.created)
-- Each event becomes one webhook_deliveries row per enabled, subscribed endpoint, and each pending
-- delivery one graphile_worker job ('webhooks.deliver', job key webhook_delivery:<id>) that the
-- dispatcher runs. Until the dispatcher has installed graphile_worker (its first start), deliveries
-- wait in the table and the dispatcher's sweep schedules them.
-- Access: triggers only; nothing here is callable through the Data API.

-- Timestamps in payloads: UTC, milliseconds, 'Z', whatever the session's TimeZone.
create function private.webhook_time(p_at timestamptz) returns text
language sql stable security invoker set search_path = ''
as $$ select to_char(p_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') $$;

-- Schedules the job that delivers p_delivery_id at p_run_at. A job already waiting for the same
-- delivery is moved, not duplicated (job key); one that is running keeps running, and the new one
-- waits for its time.
create function private.schedule_webhook_delivery(p_delivery_id uuid, p_run_at timestamptz) returns void
language plpgsql volatile security definer set search_path = ''
as $$
begin
  if to_regprocedure('graphile_worker.add_job(text, json, text, timestamp with time zone, integer, text, integer, text[], text)') is null then
    return;
  end if;
  perform graphile_worker.add_job(
    'webhooks.deliver', json_build_object('delivery_id', p_delivery_id),
    run_at => p_run_at, job_key => 'webhook_delivery:' || p_delivery_id::text, max_attempts => 25);
end $$;

create function private.webhook_deliveries_schedule() returns trigger
language plpgsql security definer set search_path = ''
as $$
begin
  perform private.schedule_webhook_delivery(n.id, n.next_attempt_at) from new_rows n where n.status = 'pending';
  return null;
end $$;
create trigger webhook_deliveries_schedule after insert on public.webhook_deliveries
  referencing new table as new_rows
  for each statement execute function private.webhook_deliveries_schedule();

-- Records an event for p_owner_id and one delivery per enabled endpoint subscribed to p_type.
-- Returns the event id, or null when no endpoint wants it (then nothing is stored).
create function private.enqueue_webhook_event(p_owner_id uuid, p_type text, p_data jsonb) returns uuid
language plpgsql volatile security definer set search_path = ''
as $$
declare
  v_event_id uuid;
begin
  if p_owner_id is null or not exists (
    select 1 from public.webhook_endpoints e where e.owner_id = p_owner_id and e.enabled and p_type = any (e.events)
  ) then
    return null;
  end if;
  insert into public.webhook_events (owner_id, type, data) values (p_owner_id, p_type, p_data)
  returning id into v_event_id;
  insert into public.webhook_deliveries (owner_id, endpoint_id, event_id)
  select p_owner_id, e.id, v_event_id
    from public.webhook_endpoints e
   where e.owner_id = p_owner_id and e.enabled and p_type = any (e.events);
  return v_event_id;
end $$;
comment on function private.enqueue_webhook_event(uuid, text, jsonb) is
  'The webhook outbox: call it in the transaction that makes the change, so the event commits with it.';

-- call.started / call.ended -------------------------------------------------------------------
create function private.webhook_call(c public.calls) returns jsonb
language sql stable security invoker set search_path = ''
as $$
  select jsonb_build_object(
    'id', c.id,
    'agent_config_id', c.agent_config_id,
    'config_version', c.config_version,
    'caller_number', c.caller_number,
    'dialed_number', c.dialed_number,
    'started_at', private.webhook_time(c.started_at),
    'answered_at', private.webhook_time(c.answered_at),
    'ended_at', private.webhook_time(c.ended_at),
    'end_reason', c.end_reason,
    'duration_ms', (extract(epoch from c.ended_at - c.started_at) * 1000)::bigint,
    'turns', c.turns,
    'latency_p50_ms', c.latency_p50_ms,
    'latency_p90_ms', c.latency_p90_ms,
    'usage', jsonb_build_object(
      'stt_seconds', c.stt_seconds, 'llm_prompt_tokens', c.llm_prompt_tokens,
      'llm_completion_tokens', c.llm_completion_tokens, 'tts_characters', c.tts_characters));
$$;

-- call.ended carries the outcome: transcript, the messages callers left, and the analysis. Until
-- those features ship the fields are present and empty; they fill this function in.
create function private.webhook_call_ended_data(c public.calls) returns jsonb
language sql stable security invoker set search_path = ''
as $$
  select jsonb_build_object('call', private.webhook_call(c), 'transcript', null, 'messages', '[]'::jsonb, 'analysis', null);
$$;

create function private.calls_emit_webhooks() returns trigger
language plpgsql security definer set search_path = ''
as $$
begin
  if tg_op = 'INSERT' then
    perform private.enqueue_webhook_event(new.owner_id, 'call.started', jsonb_build_object('call', private.webhook_call(new)));
  elsif old.ended_at is null and new.ended_at is not null then
    -- Today the call ends here. When call analysis ships, call.ended moves to the moment the
    -- analysis is done or failed, enqueued by that writer with webhook_call_ended_data().
    perform private.enqueue_webhook_event(new.owner_id, 'call.ended', private.webhook_call_ended_data(new));
  end if;
  return null;
end $$;
create trigger calls_emit_webhooks after insert or update of ended_at on public.calls
  for each row execute function private.calls_emit_webhooks();

-- config_issue.opened ------------------------------------------------------------------------
create function private.config_issues_emit_webhooks() returns trigger
language plpgsql security definer set search_path = ''
as $$
begin
  perform private.enqueue_webhook_event(new.owner_id, 'config_issue.opened', jsonb_build_object('issue', jsonb_build_object(
    'id', new.id, 'subject_type', new.subject_type, 'subject_id', new.subject_id, 'code', new.code,
    'severity', new.severity, 'message', new.message, 'details', new.details,
    'opened_at', private.webhook_time(new.opened_at))));
  return null;
end $$;
create trigger config_issues_emit_webhooks after insert on public.config_issues
  for each row execute function private.config_issues_emit_webhooks();
