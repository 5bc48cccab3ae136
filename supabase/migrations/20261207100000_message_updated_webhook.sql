-- Feature: message.updated, sent when the caller corrects a message the agent already filed (the
-- same text filed again on the call with another name, callback number or urgency:
-- public.record_call_message updates that message). message.created carries the message as first
-- filed; message.updated carries it whole as corrected, once per change. Filing the same details
-- again, and the owner handling the message (status, handled_at), send nothing.
-- Access: the trigger only (the outbox helper is security definer).

-- Widened as the first migration says to when a new event ships: endpoints may now subscribe to it.
create or replace function private.webhook_event_types() returns text[]
language sql immutable security invoker set search_path = ''
as $$ select array['call.started', 'call.ended', 'message.created', 'message.updated', 'config_issue.opened'] $$;

-- The insert trigger's function now serves both: the operation names the event.
create or replace function private.messages_emit_webhooks() returns trigger
language plpgsql security definer set search_path = ''
as $$
begin
  perform private.enqueue_webhook_event(new.owner_id,
    case tg_op when 'INSERT' then 'message.created' else 'message.updated' end,
    jsonb_build_object('message', private.webhook_message(new)));
  return null;
end $$;

create trigger messages_emit_update_webhooks after update of caller_name, callback_number, body, urgent on public.messages
  for each row
  when ((old.caller_name, old.callback_number, old.body, old.urgent)
        is distinct from (new.caller_name, new.callback_number, new.body, new.urgent))
  execute function private.messages_emit_webhooks();
