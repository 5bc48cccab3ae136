-- Feature: list_configured_numbers(limit) reads only what it returns. It used to join every number
-- to its config and sort them all by greatest(number.updated_at, config.updated_at) before taking
-- the first p_limit: about 300 ms at 100 000 numbers whatever the limit, because that order mixes
-- two tables and no index can give it. private.configured_numbers keeps, for every number a config
-- of its owner answers, that recency, indexed in the order the worker reads; triggers keep it
-- current, so `order by recency desc, e164 limit n` reads n index entries
-- (bench/resolve_agent_config.ts measures it at 1 000, 10 000 and 100 000 numbers).
-- Access: the table is private (no API role can read it); list_configured_numbers() stays
-- service_role only and becomes security definer to read it.

-- private.configured_numbers -----------------------------------------------------------------
-- A number's row exists exactly while a config of the number's owner answers it (the join
-- resolve_agent_config() makes), so the list needs no join. Deleting the number deletes the row
-- (cascade, also through `truncate ... cascade`).
create table private.configured_numbers (
  phone_number_id uuid primary key references public.phone_numbers (id) on delete cascade,
  e164 text not null,
  -- greatest(phone_numbers.updated_at, agent_configs.updated_at): the order of the preload
  recency timestamptz not null
);
comment on table private.configured_numbers is
  'The numbers a config of their owner answers, with the latest change to the number or its config; kept by triggers for list_configured_numbers(). Never exposed.';
-- e164 in the key: the same tie-break as before, and an index-only scan for the list.
create index configured_numbers_recency_idx on private.configured_numbers (recency desc, e164);
alter table private.configured_numbers enable row level security;
revoke all on private.configured_numbers from public, anon, authenticated, service_role;

-- Recomputes the rows of these numbers from the tables: one row if a config of the owner answers
-- the number, none otherwise (unassigned, config of another owner, number gone).
create function private.refresh_configured_numbers(p_number_ids uuid[]) returns void
language plpgsql security definer set search_path = ''
as $$
begin
  if coalesce(cardinality(p_number_ids), 0) = 0 then
    return;
  end if;
  delete from private.configured_numbers r where r.phone_number_id = any(p_number_ids);
  insert into private.configured_numbers (phone_number_id, e164, recency)
  select p.id, p.e164, greatest(p.updated_at, c.updated_at)
    from public.phone_numbers p
    join public.agent_configs c on c.id = p.agent_config_id and c.owner_id = p.owner_id
   where p.id = any(p_number_ids);
end $$;
revoke execute on function private.refresh_configured_numbers(uuid[]) from public;

-- A number added, moved, renumbered, relabelled, given to another owner, or unassigned because
-- its config was deleted (the foreign key's `on delete set null` is an update of the number).
-- Every update of a number touches its updated_at, so every updated number is refreshed.
create function private.phone_numbers_refresh_configured() returns trigger
language plpgsql security definer set search_path = ''
as $$
begin
  perform private.refresh_configured_numbers(array(select n.id from new_rows n));
  return null;
end $$;
create trigger phone_numbers_refresh_configured_inserted after insert on public.phone_numbers
  referencing new table as new_rows
  for each statement execute function private.phone_numbers_refresh_configured();
create trigger phone_numbers_refresh_configured_updated after update on public.phone_numbers
  referencing new table as new_rows
  for each statement execute function private.phone_numbers_refresh_configured();

-- A config's real change moves its numbers up; an owner change can make them unanswered (or
-- answered again). A new config has no numbers yet, and a deleted one reaches its numbers through
-- the foreign key (above), so only updates are watched here.
create function private.agent_configs_refresh_configured() returns trigger
language plpgsql security definer set search_path = ''
as $$
begin
  perform private.refresh_configured_numbers(array(
    select p.id from public.phone_numbers p
      join new_rows n on n.id = p.agent_config_id
      join old_rows o on o.id = n.id
     where n.updated_at is distinct from o.updated_at or n.owner_id is distinct from o.owner_id));
  return null;
end $$;
create trigger agent_configs_refresh_configured after update on public.agent_configs
  referencing old table as old_rows new table as new_rows
  for each statement execute function private.agent_configs_refresh_configured();

insert into private.configured_numbers (phone_number_id, e164, recency)
select p.id, p.e164, greatest(p.updated_at, c.updated_at)
  from public.phone_numbers p
  join public.agent_configs c on c.id = p.agent_config_id and c.owner_id = p.owner_id;

-- Same signature, checks and result as before; the order comes from the index.
create or replace function public.list_configured_numbers(p_limit integer) returns text[]
language plpgsql stable security definer set search_path = ''
as $$
begin
  if p_limit is null or p_limit < 0 then
    raise exception 'list_configured_numbers expects a limit of 0 or more, got %', coalesce(p_limit::text, 'null')
      using errcode = '22023', hint = 'Pass the most numbers to list, e.g. the cache''s size (10000).';
  end if;
  return array(select r.e164 from private.configured_numbers r order by r.recency desc, r.e164 limit p_limit);
end $$;
comment on function public.list_configured_numbers(integer) is
  'The E.164 numbers that have an agent config, most recently updated first, at most p_limit. service_role only.';
revoke execute on function public.list_configured_numbers(integer) from public, anon, authenticated;
grant execute on function public.list_configured_numbers(integer) to service_role;
