-- Feature: config_issues, the bad configuration the database noticed instead of accepting it
-- silently (a disabled voice, a number nobody answers, an owner mismatch, a voice the TTS
-- provider does not know, ...). Triggers open them and resolve them when the cause is fixed.
-- Access: owners read their own; service_role reads all and may resolve by hand; only the
-- definer helpers below write.
create table public.config_issues (
  id uuid primary key default gen_random_uuid(),
  owner_id uuid references auth.users (id) on delete cascade,
  subject_type text not null,
  subject_id text not null,
  code text not null,
  severity text not null default 'error',
  message text not null,
  details jsonb not null default '{}'::jsonb,
  opened_at timestamptz not null default now(),
  last_seen_at timestamptz not null default now(),
  resolved_at timestamptz,
  constraint config_issues_subject_type_check check (subject_type in ('agent_config', 'phone_number', 'legacy_import', 'voice')),
  constraint config_issues_severity_check check (severity in ('error', 'warning')),
  constraint config_issues_code_check check (code ~ '^[a-z][a-z0-9_]{2,63}$')
);
comment on table public.config_issues is 'Problems in an owner''s configuration, opened and resolved by triggers. One open row per (subject, code).';
comment on column public.config_issues.resolved_at is 'Null while the problem stands; set when the cause is fixed.';

create unique index config_issues_open_idx on public.config_issues (subject_type, subject_id, code) where resolved_at is null;
create index config_issues_owner_id_idx on public.config_issues (owner_id) where resolved_at is null;

alter table public.config_issues enable row level security;
grant select on public.config_issues to authenticated;
grant select, update on public.config_issues to service_role;

create policy "owners can read their config issues" on public.config_issues
  for select to authenticated
  using ((select auth.uid()) = owner_id);

-- Opens an issue, or refreshes the open one for the same (subject, code).
create function private.open_config_issue(
  p_owner_id uuid, p_subject_type text, p_subject_id text, p_code text,
  p_severity text, p_message text, p_details jsonb default '{}'::jsonb
) returns void
language sql security definer set search_path = ''
as $$
  insert into public.config_issues (owner_id, subject_type, subject_id, code, severity, message, details)
  values (p_owner_id, p_subject_type, p_subject_id, p_code, p_severity, p_message, coalesce(p_details, '{}'::jsonb))
  on conflict (subject_type, subject_id, code) where resolved_at is null
  do update set message = excluded.message, details = excluded.details, severity = excluded.severity,
                owner_id = excluded.owner_id, last_seen_at = now();
$$;

-- Resolves the open issue for (subject, code), if any.
create function private.resolve_config_issue(p_subject_type text, p_subject_id text, p_code text)
returns void
language sql security definer set search_path = ''
as $$
  update public.config_issues set resolved_at = now()
   where subject_type = p_subject_type and subject_id = p_subject_id and code = p_code and resolved_at is null;
$$;

-- Opens the issue when `present`, resolves it otherwise: how every trigger below reports.
create function private.set_config_issue(
  present boolean, p_owner_id uuid, p_subject_type text, p_subject_id text, p_code text,
  p_severity text, p_message text, p_details jsonb default '{}'::jsonb
) returns void
language plpgsql security definer set search_path = ''
as $$
begin
  if present then
    perform private.open_config_issue(p_owner_id, p_subject_type, p_subject_id, p_code, p_severity, p_message, p_details);
  else
    perform private.resolve_config_issue(p_subject_type, p_subject_id, p_code);
  end if;
end $$;
