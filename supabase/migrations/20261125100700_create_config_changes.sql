-- Feature: config_changes, the audit trail of agent_configs: who changed which field from what
-- to what, and when. The runbook asked for every change to be written down by hand; the
-- database does it. Rows survive the config's deletion.
-- Access: owners read the history of their own configs; service_role reads all; only the trigger writes.
create table public.config_changes (
  id bigint generated always as identity primary key,
  agent_config_id uuid not null,
  owner_id uuid references auth.users (id) on delete cascade,
  operation text not null,
  field text,
  old_value jsonb,
  new_value jsonb,
  version integer,
  changed_by uuid,
  changed_by_role text not null,
  changed_at timestamptz not null default now(),
  constraint config_changes_operation_check check (operation in ('insert', 'update', 'delete'))
);
comment on table public.config_changes is 'Audit trail of agent_configs: one row per changed field (update), or per created or deleted config.';
comment on column public.config_changes.field is 'The changed column for updates; null for insert and delete, whose value holds the whole row.';
comment on column public.config_changes.changed_by is 'auth.uid() of the person who made the change; null for the service role or a direct database session.';

-- History is read per config; the owner filter of the policy then applies to those few rows.
-- No owner_id index: every audited write would pay for it.
create index config_changes_config_idx on public.config_changes (agent_config_id, changed_at);

alter table public.config_changes enable row level security;
grant select on public.config_changes to authenticated;
grant select on public.config_changes to service_role;

create policy "owners can read their config history" on public.config_changes
  for select to authenticated
  using ((select auth.uid()) = owner_id);

-- Bookkeeping columns change on every update; recording them would bury the real edits.
create function private.audit_agent_configs() returns trigger
language plpgsql security definer set search_path = ''
as $$
declare
  -- The claims PostgREST set for this request, read the way auth.uid() and auth.role() read
  -- them. Inline rather than calling those functions: each call switches search_path, which
  -- cost more than the rest of this trigger on single-row writes (bench/config_triggers.ts).
  claims jsonb := nullif(current_setting('request.jwt.claims', true), '')::jsonb;
  actor uuid := nullif(coalesce(nullif(current_setting('request.jwt.claim.sub', true), ''), claims ->> 'sub'), '')::uuid;
  actor_role text := coalesce(nullif(current_setting('request.jwt.claim.role', true), ''), claims ->> 'role', current_user);
begin
  if tg_op = 'INSERT' then
    insert into public.config_changes (agent_config_id, owner_id, operation, new_value, version, changed_by, changed_by_role)
    select n.id, n.owner_id, 'insert', to_jsonb(n), n.version, actor, actor_role from new_rows n;
  elsif tg_op = 'UPDATE' then
    insert into public.config_changes (agent_config_id, owner_id, operation, field, old_value, new_value, version, changed_by, changed_by_role)
    select n.id, n.owner_id, 'update', f.key, o_json -> f.key, f.value, n.version, actor, actor_role
      from new_rows n
      join old_rows o on o.id = n.id
      cross join lateral (select to_jsonb(o) as o_json) oj
      cross join lateral jsonb_each(to_jsonb(n)) f
     where f.key not in ('version', 'updated_at', 'created_at')
       and f.value is distinct from oj.o_json -> f.key;
  else
    insert into public.config_changes (agent_config_id, owner_id, operation, old_value, version, changed_by, changed_by_role)
    select o.id, o.owner_id, 'delete', to_jsonb(o), o.version, actor, actor_role from old_rows o
    -- a deleted account takes its history with it (cascade); do not point at a gone user
     where exists (select 1 from auth.users u where u.id = o.owner_id);
  end if;
  return null;
end $$;
create trigger agent_configs_audit_insert after insert on public.agent_configs
  referencing new table as new_rows
  for each statement execute function private.audit_agent_configs();
create trigger agent_configs_audit_update after update on public.agent_configs
  referencing new table as new_rows old table as old_rows
  for each statement execute function private.audit_agent_configs();
create trigger agent_configs_audit_delete after delete on public.agent_configs
  referencing old table as old_rows
  for each statement execute function private.audit_agent_configs();
