-- Feature: a number belongs to whoever the platform says. Numbers enter phone_numbers through
-- provisioning with service-level access (service_role, the operator CLI, the legacy import),
-- which assigns the owner. Owners cannot add, claim, move or release numbers: they may only point
-- their own numbers at their own configs and label them.
-- Before this, any signed-in user could insert an unclaimed number and receive its callers, and
-- learn which numbers other customers have from the duplicate-key error on e164 and from the
-- transfer_to_own_number issue (which fired for any Switchboard number, whoever owned it).
-- Access: authenticated reads its own rows and updates agent_config_id and label on them;
-- service_role does everything else.

-- Inserts: no policy lets authenticated insert, so row-level security refuses every owner
-- insert. The table grant stays so that the trigger below can say why, in words, before the
-- row reaches the unique index (whose duplicate-key error would tell an owner that someone else
-- has the number).
drop policy "owners can add their numbers" on public.phone_numbers;

-- Updates: only the two columns an owner manages. Changing e164 or owner_id is refused by the
-- privilege check (42501) before any row is looked at, so the refusal is the same whether or not
-- the number exists or whose it is.
revoke update on public.phone_numbers from authenticated;
grant update (agent_config_id, label) on public.phone_numbers to authenticated;

-- Deletes: releasing a number is provisioning's act too (the number stays bought at the carrier).
drop policy "owners can delete their numbers" on public.phone_numbers;
revoke delete on public.phone_numbers from authenticated;

-- Refuses a number inserted by an API role other than service_role, with the same message for
-- every number, before normalization and the unique index. Security invoker: current_user is the
-- role the statement runs as (a trusted security definer function runs as its owner).
create function private.refuse_owner_phone_number_insert() returns trigger
language plpgsql security invoker set search_path = ''
as $$
begin
  if current_user in ('authenticated', 'anon') then
    raise exception 'Phone numbers cannot be added from an account: Switchboard adds a number to its owner when the number is provisioned.'
      using errcode = '42501',
            hint = 'Ask the Switchboard operator to provision the number for this account; then point it at one of your agent configs.';
  end if;
  return new;
end $$;
-- Named to fire before phone_numbers_check (before-triggers fire in name order).
create trigger phone_numbers_assigned_by_provisioning before insert on public.phone_numbers
  for each row execute function private.refuse_owner_phone_number_insert();

-- transfer_to_own_number looks only at the config owner's own numbers. A transfer to another
-- customer's Switchboard number is not a loop back into this owner's agents, and flagging it
-- would tell this owner that the number belongs to a Switchboard customer.
create or replace function private.refresh_agent_config_issues(p_ids uuid[]) returns void
language plpgsql security definer set search_path = ''
as $$
begin
  if cardinality(p_ids) = 0 then return; end if;
  with facts as (
    select c.id, c.owner_id, c.voice_id, v.name as voice_name, coalesce(v.enabled, false) as voice_enabled,
           btrim(c.system_prompt) = '' as prompt_empty, c.transfer_number,
           c.transfer_number is not null and exists (
             select 1 from public.phone_numbers p where p.e164 = c.transfer_number and p.owner_id = c.owner_id
           ) as transfer_loops
      from public.agent_configs c
      left join public.voices v on v.voice_id = c.voice_id
     where c.id = any (p_ids)
  ), wanted as (
    select id, owner_id, 'voice_disabled' as code, 'error' as severity, not voice_enabled as present,
           format('The voice %s (%s) is disabled in the catalog; calls use the default voice until you pick another.', coalesce(voice_name, voice_id), voice_id) as message,
           jsonb_build_object('voice_id', voice_id) as details
      from facts
    union all
    select id, owner_id, 'prompt_empty', 'warning', prompt_empty,
           'The system prompt is empty, so the agent has no instructions. Describe the business and what callers need.',
           '{}'::jsonb
      from facts
    union all
    select id, owner_id, 'transfer_to_own_number', 'error', transfer_loops,
           format('Transfers go to %s, one of your own Switchboard numbers: the caller would loop back to an agent. Use a human''s number.', transfer_number),
           jsonb_build_object('pii.transfer_number', transfer_number)
      from facts
  ), opened as (
    insert into public.config_issues (owner_id, subject_type, subject_id, code, severity, message, details)
    select owner_id, 'agent_config', id::text, code, severity, message, details from wanted where present
    on conflict (subject_type, subject_id, code) where resolved_at is null
    do update set message = excluded.message, details = excluded.details, owner_id = excluded.owner_id, last_seen_at = now()
    returning 1
  )
  update public.config_issues i set resolved_at = now()
    from wanted w
   where not w.present and i.resolved_at is null
     and i.subject_type = 'agent_config' and i.subject_id = w.id::text and i.code = w.code;
end $$;

-- Resolves the transfer_to_own_number issues already opened for another owner's number.
select private.refresh_agent_config_issues(array(
  select c.id from public.agent_configs c where c.transfer_number is not null));

comment on table public.phone_numbers is 'Numbers callers dial, and the agent config answering each. Added by provisioning (service_role), which assigns the owner; owners point their numbers at their configs and label them.';
