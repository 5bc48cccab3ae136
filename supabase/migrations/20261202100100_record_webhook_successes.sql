-- Feature: the dispatcher records successful attempts in batches: one statement, one commit, for
-- every attempt that finished while the previous write was in flight, instead of one commit per
-- delivery. Same outcome as private.record_webhook_attempt() for a success: the delivery settles
-- as succeeded (unless it was settled already) and its endpoint's failure clock stops.
-- Failures keep record_webhook_attempt(): they schedule retries and may disable an endpoint.
-- Access: the dispatcher only (database owner).

-- p_results: [{delivery_id, status_code, duration_ms, response_body}]. Returns the ids recorded;
-- an id missing from the answer was already settled (its attempt changed nothing).
create function private.record_webhook_successes(p_results jsonb) returns setof uuid
language plpgsql volatile security definer set search_path = ''
as $$
declare
  v_ids uuid[];
  v_endpoints uuid[];
begin
  with r as (
    select * from jsonb_to_recordset(p_results) as x(delivery_id uuid, status_code integer, duration_ms integer, response_body text)
  ), done as (
    update public.webhook_deliveries d
       set attempts = d.attempts + 1, last_attempt_at = now(), status = 'succeeded', next_attempt_at = null,
           completed_at = now(), status_code = r.status_code, duration_ms = r.duration_ms, error = null,
           response_body = r.response_body
      from r
     where d.id = r.delivery_id and d.status = 'pending'
    returning d.id, d.endpoint_id
  )
  select array_agg(done.id), array_agg(distinct done.endpoint_id) into v_ids, v_endpoints from done;
  -- Endpoints locked in id order, so concurrent batches cannot deadlock on them.
  perform 1 from public.webhook_endpoints e
   where e.id = any (v_endpoints) and e.failing_since is not null
   order by e.id
   for update;
  update public.webhook_endpoints e set failing_since = null
   where e.id = any (v_endpoints) and e.failing_since is not null;
  return query select unnest(coalesce(v_ids, '{}'::uuid[]));
end $$;
