-- Feature: resolve_agent_config(dialed_number) gives the same answer with less work on the
-- database, for the worker's cold path (a number not in its cache):
--   * one statement joining number, config and voice, instead of four subqueries over two CTEs
--     (each CTE referenced twice, so both were materialized on every call);
--   * a number that is already E.164, which is how SIP delivers it, is used as it is:
--     normalize_e164() would return it unchanged, and skipping it saves a PL/pgSQL call with its
--     own search_path switch. Anything else goes through normalize_e164() as before.
-- Measured at 100 000 numbers on 2 shared cores: 20 000 resolves in a server-side loop took
-- 115-230 µs each before and 55-150 µs after; through pgbench with one client, p50 0.12 ms before
-- and 0.10-0.13 ms after (the round trip alone is 0.03-0.05 ms). With 8 clients the machine's two
-- cores are the limit, not the query (bench/resolve_agent_config.ts measures `select 1` beside it).
-- Security is unchanged: security invoker, `set search_path = ''` with every name qualified,
-- service_role only.
-- Access: service_role only (it crosses owners).
create or replace function public.resolve_agent_config(p_dialed_number text) returns jsonb
language plpgsql stable security invoker set search_path = ''
as $$
declare
  -- The same test normalize_e164() ends with, so a match is exactly what it would return.
  dialed text := case when p_dialed_number ~ '^\+[1-9][0-9]{6,14}$' then p_dialed_number
                      else public.normalize_e164(p_dialed_number) end;
  resolved jsonb;
begin
  -- A left join all the way down: an unknown number still answers with the default voice, and a
  -- number whose config belongs to another owner answers with no config (null-extended rows
  -- turn into JSON null).
  select jsonb_build_object(
    'dialed_number', dialed,
    'phone_number', case when p.id is not null then jsonb_build_object('id', p.id, 'e164', p.e164, 'label', p.label, 'owner_id', p.owner_id) end,
    'config', to_jsonb(c),
    'voice', to_jsonb(v),
    'default_voice', (select to_jsonb(dv) from public.voices dv where dv.is_default and dv.enabled limit 1))
    into resolved
    from (values (dialed)) d (e164)
    left join public.phone_numbers p on p.e164 = d.e164
    left join public.agent_configs c on c.id = p.agent_config_id and c.owner_id = p.owner_id
    left join public.voices v on v.voice_id = c.voice_id;
  return resolved;
end $$;
comment on function public.resolve_agent_config(text) is
  'Resolves a dialed number (any common format) to its phone number, config, voice and the default voice. config is null for unknown or unassigned numbers. service_role only.';
revoke execute on function public.resolve_agent_config(text) from public, anon, authenticated;
grant execute on function public.resolve_agent_config(text) to service_role;
