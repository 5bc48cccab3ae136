-- Feature: webhooks, the owner's endpoints that receive signed events (Standard Webhooks).
--   webhook_endpoints          where to send which events; owners read, update and delete theirs
--   private.webhook_secrets    signing secrets: the current one and, for 24 h after a rotation, the
--                              previous one. No API role can read them: create_webhook_endpoint()
--                              and rotate_webhook_secret() show a new secret once, and the
--                              dispatcher (DATABASE_URL, the database owner) signs with them
--   webhook_events             one row per event some endpoint of the owner subscribed to
--   webhook_deliveries         one row per (event, endpoint) and per replay: the outbox the
--                              dispatcher works through, and what owners see of the last attempt
-- Access: owners read their own rows; writes go through the functions below and the dispatcher.

-- The event types that exist. Widen it (create or replace) when a new event ships.
create function private.webhook_event_types() returns text[]
language sql immutable security invoker set search_path = ''
as $$ select array['call.started', 'call.ended', 'message.created', 'config_issue.opened'] $$;

-- 'whsec_' + standard padded base64 of 32 random bytes: the form the standardwebhooks libraries take.
create function private.new_webhook_secret() returns text
language sql volatile security invoker set search_path = ''
as $$ select 'whsec_' || replace(encode(extensions.gen_random_bytes(32), 'base64'), E'\n', '') $$;

-- webhook_endpoints --------------------------------------------------------------------------
create table public.webhook_endpoints (
  id uuid primary key default gen_random_uuid(),
  owner_id uuid not null references auth.users (id) on delete cascade,
  url text not null,
  description text not null default '',
  events text[] not null,
  enabled boolean not null default true,
  disabled_reason text,
  failing_since timestamptz,
  secret_rotated_at timestamptz,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  constraint webhook_endpoints_url_check check (char_length(url) <= 2048 and url ~ '^https?://[^\s/?#]+([/?#]\S*)?$'),
  constraint webhook_endpoints_description_check check (char_length(description) <= 200),
  constraint webhook_endpoints_events_check check (cardinality(events) >= 1 and events <@ private.webhook_event_types()),
  constraint webhook_endpoints_disabled_reason_check check (disabled_reason is null or (not enabled and disabled_reason = 'failing'))
);
comment on table public.webhook_endpoints is 'An owner''s webhook receiver: URL, subscribed events, on/off. Secrets live in private.webhook_secrets.';
comment on column public.webhook_endpoints.disabled_reason is '''failing'' when the dispatcher turned the endpoint off after it failed for 24 h; null otherwise.';
comment on column public.webhook_endpoints.failing_since is 'First failed attempt since the last success; the dispatcher disables the endpoint 24 h after it.';

create index webhook_endpoints_owner_id_idx on public.webhook_endpoints (owner_id);
create index webhook_endpoints_enabled_owner_idx on public.webhook_endpoints (owner_id) where enabled;
create trigger webhook_endpoints_touch_updated_at before update on public.webhook_endpoints
  for each row execute function private.touch_updated_at();

alter table public.webhook_endpoints enable row level security;
grant select, delete on public.webhook_endpoints to authenticated, service_role;
grant update (url, description, events, enabled) on public.webhook_endpoints to authenticated, service_role;

create policy "owners can read their webhook endpoints" on public.webhook_endpoints
  for select to authenticated
  using ((select auth.uid()) = owner_id);

create policy "owners can update their webhook endpoints" on public.webhook_endpoints
  for update to authenticated
  using ((select auth.uid()) = owner_id)
  with check ((select auth.uid()) = owner_id);

create policy "owners can delete their webhook endpoints" on public.webhook_endpoints
  for delete to authenticated
  using ((select auth.uid()) = owner_id);

-- Messages a frontend can show as they are, naming the column, the value and what is valid.
-- security definer: owners' updates run it, and it reads the event list in the private schema.
create function private.check_webhook_endpoint() returns trigger
language plpgsql security definer set search_path = ''
as $$
declare
  unknown text;
begin
  if new.url !~ '^https?://' then
    raise exception 'webhook_endpoints.url ''%'' must start with https://', left(new.url, 100)
      using errcode = '23514', hint = 'http:// works only where the dispatcher runs with WEBHOOKS_ALLOW_HTTP=1 (local development).';
  end if;
  if char_length(new.url) > 2048 then
    raise exception 'webhook_endpoints.url is % characters long; the limit is 2048', char_length(new.url) using errcode = '23514';
  end if;
  select string_agg(format('''%s''', e), ', ') into unknown
    from unnest(new.events) e where not e = any (private.webhook_event_types());
  if unknown is not null or cardinality(new.events) = 0 then
    raise exception 'webhook_endpoints.events %', coalesce(unknown || ' is not an event', 'is empty')
      using errcode = '23514', hint = 'Events: ' || array_to_string(private.webhook_event_types(), ', ') || '.';
  end if;
  new.events := array(select distinct e from unnest(new.events) e order by e);
  return new;
end $$;
create trigger webhook_endpoints_check before insert or update on public.webhook_endpoints
  for each row execute function private.check_webhook_endpoint();

-- Turning an endpoint back on, or pointing it elsewhere, starts the failure clock afresh.
create function private.webhook_endpoints_reset_failures() returns trigger
language plpgsql security invoker set search_path = ''
as $$
begin
  if (new.enabled and not old.enabled) or new.url is distinct from old.url then
    new.failing_since := null;
  end if;
  if new.enabled then
    new.disabled_reason := null;
  end if;
  return new;
end $$;
create trigger webhook_endpoints_reset_failures before update on public.webhook_endpoints
  for each row execute function private.webhook_endpoints_reset_failures();

-- private.webhook_secrets --------------------------------------------------------------------
create table private.webhook_secrets (
  endpoint_id uuid primary key references public.webhook_endpoints (id) on delete cascade,
  secret text not null default private.new_webhook_secret(),
  previous_secret text,
  previous_expires_at timestamptz,
  constraint webhook_secrets_secret_check check (secret ~ '^whsec_[A-Za-z0-9+/]{43}=$'),
  constraint webhook_secrets_previous_check check (
    (previous_secret is null) = (previous_expires_at is null)
    and (previous_secret is null or previous_secret ~ '^whsec_[A-Za-z0-9+/]{43}=$'))
);
comment on table private.webhook_secrets is 'Webhook signing secrets. Readable by the database owner only (the dispatcher); never by an API role.';
alter table private.webhook_secrets enable row level security;
revoke all on private.webhook_secrets from public, anon, authenticated, service_role;

-- Every endpoint gets a secret, however it was inserted.
create function private.webhook_endpoints_issue_secret() returns trigger
language plpgsql security definer set search_path = ''
as $$
begin
  insert into private.webhook_secrets (endpoint_id) select id from new_rows;
  return null;
end $$;
create trigger webhook_endpoints_issue_secret after insert on public.webhook_endpoints
  referencing new table as new_rows
  for each statement execute function private.webhook_endpoints_issue_secret();

-- webhook_events -----------------------------------------------------------------------------
create table public.webhook_events (
  id uuid primary key default gen_random_uuid(),
  owner_id uuid not null references auth.users (id) on delete cascade,
  type text not null,
  version integer not null default 1,
  data jsonb not null,
  created_at timestamptz not null default now(),
  constraint webhook_events_type_check check (type = any (private.webhook_event_types())),
  constraint webhook_events_data_check check (jsonb_typeof(data) = 'object')
);
comment on table public.webhook_events is 'Events for an owner''s webhooks, as sent: {type, version, id, created_at, data}.';
create index webhook_events_owner_created_idx on public.webhook_events (owner_id, created_at desc);

alter table public.webhook_events enable row level security;
grant select on public.webhook_events to authenticated, service_role;

create policy "owners can read their webhook events" on public.webhook_events
  for select to authenticated
  using ((select auth.uid()) = owner_id);

-- webhook_deliveries -------------------------------------------------------------------------
create table public.webhook_deliveries (
  id uuid primary key default gen_random_uuid(),
  owner_id uuid not null references auth.users (id) on delete cascade,
  endpoint_id uuid not null references public.webhook_endpoints (id) on delete cascade,
  event_id uuid not null references public.webhook_events (id) on delete cascade,
  replay_of uuid references public.webhook_deliveries (id) on delete set null,
  status text not null default 'pending',
  attempts integer not null default 0,
  next_attempt_at timestamptz default now(),
  last_attempt_at timestamptz,
  status_code integer,
  duration_ms integer,
  error text,
  response_body text,
  created_at timestamptz not null default now(),
  completed_at timestamptz,
  constraint webhook_deliveries_status_check check (status in ('pending', 'succeeded', 'failed', 'cancelled')),
  constraint webhook_deliveries_next_attempt_check check ((status = 'pending') = (next_attempt_at is not null)),
  constraint webhook_deliveries_response_body_check check (octet_length(response_body) <= 1024),
  constraint webhook_deliveries_error_check check (char_length(error) <= 500),
  constraint webhook_deliveries_attempts_check check (attempts >= 0)
);
comment on table public.webhook_deliveries is 'One event sent to one endpoint (retries included; a replay is a new row). Header webhook-id: msg_<id>.';
comment on column public.webhook_deliveries.response_body is 'The first 1024 bytes of the last response.';
create index webhook_deliveries_owner_created_idx on public.webhook_deliveries (owner_id, created_at desc);
create index webhook_deliveries_endpoint_created_idx on public.webhook_deliveries (endpoint_id, created_at desc);
create index webhook_deliveries_event_id_idx on public.webhook_deliveries (event_id);
create index webhook_deliveries_replay_of_idx on public.webhook_deliveries (replay_of);
create index webhook_deliveries_pending_idx on public.webhook_deliveries (next_attempt_at) where status = 'pending';

alter table public.webhook_deliveries enable row level security;
grant select on public.webhook_deliveries to authenticated, service_role;

create policy "owners can read their webhook deliveries" on public.webhook_deliveries
  for select to authenticated
  using ((select auth.uid()) = owner_id);

-- config_issues: webhook endpoints can have issues too ----------------------------------------
alter table public.config_issues drop constraint config_issues_subject_type_check;
alter table public.config_issues add constraint config_issues_subject_type_check
  check (subject_type in ('agent_config', 'phone_number', 'legacy_import', 'voice', 'webhook_endpoint'));
