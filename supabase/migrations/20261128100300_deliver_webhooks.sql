-- Feature: the dispatcher's side of webhooks, one call per step so each step is one transaction:
--   webhook_delivery_to_send(id)      what to send (event, URL, secrets), or nothing when the
--                                     delivery is settled, not yet due, or its endpoint is off
--   record_webhook_attempt(...)       the attempt's outcome; schedules the next attempt or settles
--                                     the delivery; disables an endpoint failing for too long and
--                                     opens a webhook_disabled config issue for its owner
--   sweep_webhook_jobs(stale_ms)      frees jobs of dispatchers that died mid-delivery and schedules
--                                     pending deliveries that have no job
-- Access: the dispatcher only (DATABASE_URL, the database owner); the private schema is not exposed.
--
-- config_issues code: webhook_disabled (webhook_endpoint) every delivery failed for too long, so
-- the endpoint was turned off. Resolved when the owner enables the endpoint again or deletes it.

create function private.webhook_delivery_to_send(p_delivery_id uuid)
returns table (
  delivery_id uuid, endpoint_id uuid, url text, attempts integer, event_id uuid, event_type text,
  event_version integer, event_created_at timestamptz, event_data jsonb, secrets text[]
)
language plpgsql volatile security definer set search_path = ''
as $$
declare
  v_delivery public.webhook_deliveries;
begin
  select * into v_delivery from public.webhook_deliveries d where d.id = p_delivery_id;
  -- A job that outlived its attempt (its dispatcher died after recording it) finds the delivery
  -- settled or rescheduled, and sends nothing.
  if v_delivery.id is null or v_delivery.status <> 'pending' or v_delivery.next_attempt_at > now() + interval '1 second' then
    return;
  end if;
  if not (select e.enabled from public.webhook_endpoints e where e.id = v_delivery.endpoint_id) then
    update public.webhook_deliveries
       set status = 'cancelled', next_attempt_at = null, completed_at = now()
     where id = p_delivery_id;
    return;
  end if;
  return query
    select v_delivery.id, e.id, e.url, v_delivery.attempts, ev.id, ev.type, ev.version, ev.created_at, ev.data,
           array_remove(array[s.secret, case when s.previous_expires_at > now() then s.previous_secret end], null)
      from public.webhook_endpoints e
      join private.webhook_secrets s on s.endpoint_id = e.id
      join public.webhook_events ev on ev.id = v_delivery.event_id
     where e.id = v_delivery.endpoint_id;
end $$;

create function private.disable_failing_webhook_endpoint(p_endpoint_id uuid) returns void
language plpgsql volatile security definer set search_path = ''
as $$
declare
  v_endpoint public.webhook_endpoints;
begin
  select * into v_endpoint from public.webhook_endpoints e where e.id = p_endpoint_id and e.enabled;
  if v_endpoint.id is null then
    return;
  end if;
  update public.webhook_endpoints set enabled = false, disabled_reason = 'failing' where id = p_endpoint_id;
  update public.webhook_deliveries
     set status = 'cancelled', next_attempt_at = null, completed_at = now()
   where endpoint_id = p_endpoint_id and status = 'pending';
  perform private.open_config_issue(
    v_endpoint.owner_id, 'webhook_endpoint', p_endpoint_id::text, 'webhook_disabled', 'error',
    format('Every webhook delivery to %s has failed since %s UTC, so the endpoint was turned off. Fix the receiver, enable the endpoint, then replay the deliveries it missed.',
           v_endpoint.url, to_char(v_endpoint.failing_since at time zone 'UTC', 'YYYY-MM-DD HH24:MI')),
    jsonb_build_object('url', v_endpoint.url, 'failing_since', private.webhook_time(v_endpoint.failing_since)));
end $$;

-- p_next_attempt_at: when to try again after a failure, or null when no attempt is left.
-- Returns the delivery's status afterwards, or null when it was already settled.
create function private.record_webhook_attempt(
  p_delivery_id uuid, p_succeeded boolean, p_status_code integer, p_duration_ms integer, p_error text,
  p_response_body text, p_next_attempt_at timestamptz, p_disable_after_ms bigint
) returns text
language plpgsql volatile security definer set search_path = ''
as $$
declare
  v_status text := case when p_succeeded then 'succeeded' when p_next_attempt_at is null then 'failed' else 'pending' end;
  v_endpoint_id uuid;
  v_failing_since timestamptz;
begin
  update public.webhook_deliveries d
     set attempts = d.attempts + 1, last_attempt_at = now(), status = v_status,
         next_attempt_at = case when v_status = 'pending' then p_next_attempt_at end,
         completed_at = case when v_status = 'pending' then null else now() end,
         status_code = p_status_code, duration_ms = p_duration_ms, error = left(p_error, 500), response_body = p_response_body
   where d.id = p_delivery_id and d.status = 'pending'
  returning d.endpoint_id into v_endpoint_id;
  if v_endpoint_id is null then
    return null;
  end if;
  if p_succeeded then
    update public.webhook_endpoints set failing_since = null where id = v_endpoint_id and failing_since is not null;
    return v_status;
  end if;
  update public.webhook_endpoints set failing_since = now() where id = v_endpoint_id and failing_since is null;
  select e.failing_since into v_failing_since from public.webhook_endpoints e where e.id = v_endpoint_id;
  if v_failing_since <= now() - p_disable_after_ms * interval '1 millisecond' then
    perform private.disable_failing_webhook_endpoint(v_endpoint_id);
    select d.status into v_status from public.webhook_deliveries d where d.id = p_delivery_id;
  elsif v_status = 'pending' then
    perform private.schedule_webhook_delivery(p_delivery_id, p_next_attempt_at);
  end if;
  return v_status;
end $$;

create function private.sweep_webhook_jobs(p_stale_lock_ms bigint) returns jsonb
language plpgsql volatile security definer set search_path = ''
as $$
declare
  v_workers text[];
  v_orphan record;
  v_scheduled integer := 0;
begin
  if to_regclass('graphile_worker.jobs') is null then
    return jsonb_build_object('unlocked_workers', 0, 'scheduled', 0);
  end if;
  -- An attempt takes at most its HTTP timeout plus a few short queries, so a job locked far
  -- longer belongs to a dispatcher that died: graphile_worker alone would wait 4 hours.
  select array_agg(distinct j.locked_by) into v_workers
    from graphile_worker.jobs j
   where j.task_identifier = 'webhooks.deliver' and j.locked_at < now() - p_stale_lock_ms * interval '1 millisecond';
  if v_workers is not null then
    perform graphile_worker.force_unlock_workers(v_workers);
  end if;
  for v_orphan in
    select d.id, d.next_attempt_at from public.webhook_deliveries d
     where d.status = 'pending'
       and not exists (select 1 from graphile_worker.jobs j where j.key = 'webhook_delivery:' || d.id::text)
     order by d.next_attempt_at
     limit 1000
  loop
    perform private.schedule_webhook_delivery(v_orphan.id, v_orphan.next_attempt_at);
    v_scheduled := v_scheduled + 1;
  end loop;
  return jsonb_build_object('unlocked_workers', coalesce(cardinality(v_workers), 0), 'scheduled', v_scheduled);
end $$;

-- The owner fixed it (enabled the endpoint again) or no longer needs it (deleted it).
create function private.webhook_endpoints_resolve_issues() returns trigger
language plpgsql security definer set search_path = ''
as $$
begin
  if tg_op = 'DELETE' then
    perform private.resolve_all_config_issues('webhook_endpoint', array[old.id::text]);
  elsif new.enabled and not old.enabled then
    perform private.resolve_config_issue('webhook_endpoint', new.id::text, 'webhook_disabled');
  end if;
  return null;
end $$;
create trigger webhook_endpoints_resolve_issues after update of enabled or delete on public.webhook_endpoints
  for each row execute function private.webhook_endpoints_resolve_issues();
