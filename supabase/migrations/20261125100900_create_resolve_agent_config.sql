-- Feature: resolve_agent_config(dialed_number), everything the worker needs to answer a call in
-- one round trip: the number, its owner, its config, the config's voice and the catalog default.
-- Access: service_role only (it crosses owners).
create function public.resolve_agent_config(p_dialed_number text) returns jsonb
language sql stable security invoker set search_path = ''
as $$
  with dialed as (select public.normalize_e164(p_dialed_number) as e164),
  number as (
    select p.* from public.phone_numbers p, dialed d where p.e164 = d.e164
  ),
  config as (
    select c.* from public.agent_configs c join number n on n.agent_config_id = c.id and c.owner_id = n.owner_id
  )
  select jsonb_build_object(
    'dialed_number', (select e164 from dialed),
    'phone_number', (select jsonb_build_object('id', n.id, 'e164', n.e164, 'label', n.label, 'owner_id', n.owner_id) from number n),
    'config', (select to_jsonb(c) from config c),
    'voice', (select to_jsonb(v) from public.voices v join config c on c.voice_id = v.voice_id),
    'default_voice', (select to_jsonb(v) from public.voices v where v.is_default and v.enabled limit 1)
  );
$$;
comment on function public.resolve_agent_config(text) is
  'Resolves a dialed number (any common format) to its phone number, config, voice and the default voice. config is null for unknown or unassigned numbers. service_role only.';
-- The worker resolves any dialed number, across owners: service_role only.
revoke execute on function public.resolve_agent_config(text) from public, anon, authenticated;
grant execute on function public.resolve_agent_config(text) to service_role;
