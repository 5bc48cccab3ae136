-- Feature: what owners do with webhooks beyond plain reads and updates, as RPCs:
--   create_webhook_endpoint(url, events, description, enabled)  the endpoint and its secret, shown once
--   rotate_webhook_secret(endpoint_id)     a new secret, shown once; the old one signs too for 24 h
--   replay_webhook_delivery(delivery_id)   sends a delivery's event to its endpoint again (a new delivery)
-- Access: signed-in owners, for their own endpoints and deliveries.
-- security definer: these write private.webhook_secrets and public.webhook_deliveries, which no API
-- role may write, so each checks the caller owns the row before touching anything.

-- At most this many endpoints per owner.
create function private.webhook_endpoint_limit() returns integer
language sql immutable security invoker set search_path = ''
as $$ select 20 $$;

create function private.require_webhook_owner() returns uuid
language plpgsql stable security invoker set search_path = ''
as $$
begin
  if auth.uid() is null then
    raise exception 'only a signed-in owner can manage webhooks' using errcode = '42501';
  end if;
  return auth.uid();
end $$;

create function public.create_webhook_endpoint(
  p_url text, p_events text[], p_description text default '', p_enabled boolean default true
) returns jsonb
language plpgsql volatile security definer set search_path = ''
as $$
declare
  v_owner uuid := private.require_webhook_owner();
  v_endpoint public.webhook_endpoints;
begin
  perform pg_advisory_xact_lock(hashtextextended('webhook_endpoints:' || v_owner::text, 0));
  if (select count(*) from public.webhook_endpoints e where e.owner_id = v_owner) >= private.webhook_endpoint_limit() then
    raise exception 'an owner can have at most % webhook endpoints', private.webhook_endpoint_limit()
      using errcode = '23514', hint = 'Delete an endpoint you no longer use, or subscribe one endpoint to more events.';
  end if;
  insert into public.webhook_endpoints (owner_id, url, events, description, enabled)
  values (v_owner, p_url, coalesce(p_events, '{}'), coalesce(p_description, ''), coalesce(p_enabled, true))
  returning * into v_endpoint;
  return jsonb_build_object(
    'endpoint', to_jsonb(v_endpoint),
    'secret', (select s.secret from private.webhook_secrets s where s.endpoint_id = v_endpoint.id));
end $$;
comment on function public.create_webhook_endpoint(text, text[], text, boolean) is
  'Creates a webhook endpoint for the caller; returns {endpoint, secret}. The secret is never readable again.';

create function public.rotate_webhook_secret(p_endpoint_id uuid) returns jsonb
language plpgsql volatile security definer set search_path = ''
as $$
declare
  v_owner uuid := private.require_webhook_owner();
  v_secrets private.webhook_secrets;
begin
  if not exists (select 1 from public.webhook_endpoints e where e.id = p_endpoint_id and e.owner_id = v_owner) then
    raise exception 'webhook endpoint % does not exist', p_endpoint_id using errcode = 'P0002';
  end if;
  update private.webhook_secrets s
     set previous_secret = s.secret, previous_expires_at = now() + interval '24 hours', secret = private.new_webhook_secret()
   where s.endpoint_id = p_endpoint_id
  returning * into v_secrets;
  update public.webhook_endpoints set secret_rotated_at = now() where id = p_endpoint_id;
  return jsonb_build_object('secret', v_secrets.secret, 'previous_secret_expires_at', v_secrets.previous_expires_at);
end $$;
comment on function public.rotate_webhook_secret(uuid) is
  'Gives the caller''s endpoint a new secret (returned once); the previous one keeps signing for 24 h.';

create function public.replay_webhook_delivery(p_delivery_id uuid) returns uuid
language plpgsql volatile security definer set search_path = ''
as $$
declare
  v_owner uuid := private.require_webhook_owner();
  v_original public.webhook_deliveries;
  v_enabled boolean;
  v_id uuid;
begin
  select * into v_original from public.webhook_deliveries d where d.id = p_delivery_id and d.owner_id = v_owner;
  if v_original.id is null then
    raise exception 'webhook delivery % does not exist', p_delivery_id using errcode = 'P0002';
  end if;
  select e.enabled into v_enabled from public.webhook_endpoints e where e.id = v_original.endpoint_id;
  if not v_enabled then
    raise exception 'the endpoint of delivery % is disabled', p_delivery_id
      using errcode = '55000', hint = 'Enable the endpoint, then replay.';
  end if;
  insert into public.webhook_deliveries (owner_id, endpoint_id, event_id, replay_of)
  values (v_owner, v_original.endpoint_id, v_original.event_id, v_original.id)
  returning id into v_id;
  return v_id;
end $$;
comment on function public.replay_webhook_delivery(uuid) is
  'Sends a delivery''s event to its endpoint again, as a new delivery (new webhook-id, same event id).';

revoke execute on function public.create_webhook_endpoint(text, text[], text, boolean) from public, anon;
revoke execute on function public.rotate_webhook_secret(uuid) from public, anon;
revoke execute on function public.replay_webhook_delivery(uuid) from public, anon;
grant execute on function public.create_webhook_endpoint(text, text[], text, boolean) to authenticated;
grant execute on function public.rotate_webhook_secret(uuid) to authenticated;
grant execute on function public.replay_webhook_delivery(uuid) to authenticated;
