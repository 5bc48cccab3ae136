-- Feature: list_configured_numbers(limit), the numbers a worker's job process preloads into its
-- config cache while it idles (agent/job.ts prewarm), so a call's resolve is a cache hit. The
-- process then resolves them with resolve_agent_configs() in batches.
-- Access: service_role only (the worker crosses owners).

-- Every number answered by one of its owner's configs (the same join resolve_agent_config()
-- makes), most recently updated first (the number or its config), capped at p_limit. Returns an
-- array rather than a set, so PostgREST's max-rows setting (1000 on Supabase) cannot cut it short.
create function public.list_configured_numbers(p_limit integer) returns text[]
language plpgsql stable security invoker set search_path = ''
as $$
begin
  if p_limit is null or p_limit < 0 then
    raise exception 'list_configured_numbers expects a limit of 0 or more, got %', coalesce(p_limit::text, 'null')
      using errcode = '22023', hint = 'Pass the most numbers to list, e.g. the cache''s size (10000).';
  end if;
  return coalesce((
    select array_agg(n.e164 order by n.recency desc, n.e164)
      from (select p.e164, greatest(p.updated_at, c.updated_at) as recency
              from public.phone_numbers p
              join public.agent_configs c on c.id = p.agent_config_id and c.owner_id = p.owner_id
             order by recency desc, p.e164
             limit p_limit) n
  ), '{}'::text[]);
end $$;
comment on function public.list_configured_numbers(integer) is
  'The E.164 numbers that have an agent config, most recently updated first, at most p_limit. service_role only.';
revoke execute on function public.list_configured_numbers(integer) from public, anon, authenticated;
grant execute on function public.list_configured_numbers(integer) to service_role;
