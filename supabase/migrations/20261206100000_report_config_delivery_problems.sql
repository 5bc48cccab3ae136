-- Feature: a worker that cannot get live config changes for a reason only the project's operator
-- can fix (Realtime refuses its subscription, or the project allows only private channels) says
-- so where the operator looks: an open config_issues row on the subject ('worker', 'realtime'),
-- which the SIP doctor and sip-status list. The first worker whose delivery is live again
-- resolves it. These issues belong to no owner: only service_role and admins read them.
alter table public.config_issues drop constraint config_issues_subject_type_check;
alter table public.config_issues add constraint config_issues_subject_type_check
  check (subject_type in ('agent_config', 'phone_number', 'legacy_import', 'voice', 'webhook_endpoint', 'worker'));

create function public.report_config_delivery(p_problem text, p_detail text default null)
returns void
language plpgsql security definer set search_path = ''
as $$
begin
  if p_problem is null then
    perform private.resolve_config_issue('worker', 'realtime', 'realtime_private_only');
    perform private.resolve_config_issue('worker', 'realtime', 'realtime_subscription_failed');
    return;
  end if;
  if p_problem = 'realtime_private_only' then
    perform private.open_config_issue(null, 'worker', 'realtime', p_problem, 'error',
      'The project allows only private Realtime channels, so workers get no live config changes: calls resolve from the database and live calls see changes only at the periodic reconcile. Allow public channels in the project''s Realtime settings.',
      jsonb_build_object('detail', left(coalesce(p_detail, ''), 500)));
  elsif p_problem = 'realtime_subscription_failed' then
    perform private.open_config_issue(null, 'worker', 'realtime', p_problem, 'error',
      'Realtime refused the workers'' subscription to config changes: live calls see changes only at the periodic reconcile. Put agent_configs, phone_numbers and voices in the supabase_realtime publication (npm run db:migrate does).',
      jsonb_build_object('detail', left(coalesce(p_detail, ''), 500)));
  else
    raise exception 'report_config_delivery: unknown problem %', p_problem
      using errcode = '22023', hint = 'Use realtime_private_only, realtime_subscription_failed, or null when delivery is live.';
  end if;
end;
$$;
comment on function public.report_config_delivery(text, text) is 'Workers report a config-delivery problem only the operator can fix (or null once delivery is live). service_role only.';
revoke execute on function public.report_config_delivery(text, text) from public, anon, authenticated;
grant execute on function public.report_config_delivery(text, text) to service_role;
