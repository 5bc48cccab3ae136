-- Feature: phone_numbers, the numbers callers dial and the agent config answering each.
-- Access: owners manage their own numbers; the worker resolves them through resolve_agent_config().
-- Rules: e164 is a normalized E.164 number; the answering config belongs to the number's owner.

-- Normalizes what people type ('(555) 123-4567', '+1 555 123 4567', '0044 20 ...', 'tel:+1...')
-- to E.164, or null when it cannot be one. Ten bare digits are read as a North American number,
-- as the SIP provider delivers them. shared/phone.ts agrees with this for the same inputs.
create function public.normalize_e164(raw text) returns text
language plpgsql immutable security invoker set search_path = ''
as $$
declare
  s text := btrim(coalesce(raw, ''));
  digits text;
begin
  s := regexp_replace(s, '^(tel:|sip:)', '', 'i');
  s := regexp_replace(s, '@.*$', '');
  if s ~ '[A-Za-z]' then
    return null;
  end if;
  digits := regexp_replace(s, '[^0-9]', '', 'g');
  if s ~ '^\s*\+' then
    null;
  elsif digits ~ '^00' then
    digits := substr(digits, 3);
  elsif length(digits) = 10 then
    digits := '1' || digits;
  elsif length(digits) = 11 and digits ~ '^1' then
    null;
  else
    return null;
  end if;
  if digits !~ '^[1-9][0-9]{6,14}$' then
    return null;
  end if;
  return '+' || digits;
end $$;
comment on function public.normalize_e164(text) is 'Normalizes a typed phone number to E.164 (+ and 7-15 digits), or null.';
grant execute on function public.normalize_e164(text) to anon, authenticated, service_role;

create table public.phone_numbers (
  id uuid primary key default gen_random_uuid(),
  e164 text not null,
  owner_id uuid not null default auth.uid() references auth.users (id) on delete cascade,
  agent_config_id uuid references public.agent_configs (id) on delete set null,
  label text not null default '',
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  constraint phone_numbers_e164_check check (e164 ~ '^\+[1-9][0-9]{6,14}$'),
  constraint phone_numbers_e164_key unique (e164),
  constraint phone_numbers_label_check check (length(label) <= 100)
);
comment on table public.phone_numbers is 'Numbers callers dial, and the agent config answering each.';
comment on column public.phone_numbers.e164 is 'The dialed number in E.164 (+15551234567). Typed forms are normalized on write.';
comment on column public.phone_numbers.agent_config_id is 'The config answering this number; it must belong to the same owner. Null: nobody answers (flagged).';

create index phone_numbers_owner_id_idx on public.phone_numbers (owner_id);
create index phone_numbers_agent_config_id_idx on public.phone_numbers (agent_config_id);

alter table public.phone_numbers enable row level security;
grant select, insert, update, delete on public.phone_numbers to authenticated;
grant select, insert, update, delete on public.phone_numbers to service_role;

create policy "owners can read their numbers" on public.phone_numbers
  for select to authenticated
  using ((select auth.uid()) = owner_id);

create policy "owners can add their numbers" on public.phone_numbers
  for insert to authenticated
  with check ((select auth.uid()) = owner_id);

create policy "owners can update their numbers" on public.phone_numbers
  for update to authenticated
  using ((select auth.uid()) = owner_id)
  with check ((select auth.uid()) = owner_id);

create policy "owners can delete their numbers" on public.phone_numbers
  for delete to authenticated
  using ((select auth.uid()) = owner_id);

create trigger phone_numbers_touch_updated_at before update on public.phone_numbers
  for each row execute function private.touch_updated_at();

-- Normalizes the number and refuses a config that belongs to someone else, with messages
-- that say what to do. Security definer: an owner cannot see another owner's config row.
create function private.check_phone_number() returns trigger
language plpgsql security definer set search_path = ''
as $$
declare
  normalized text := public.normalize_e164(new.e164);
  config_owner uuid;
begin
  if normalized is null then
    raise exception 'phone_numbers.e164 % is not a phone number that can be written in E.164.', coalesce(quote_literal(new.e164), 'null')
      using errcode = '23514', constraint = 'phone_numbers_e164_check', column = 'e164',
            hint = 'Use the international form with country code, e.g. +15551234567.';
  end if;
  new.e164 := normalized;
  if new.agent_config_id is not null
     and (tg_op = 'INSERT' or new.agent_config_id is distinct from old.agent_config_id or new.owner_id is distinct from old.owner_id) then
    select c.owner_id into config_owner from public.agent_configs c where c.id = new.agent_config_id;
    if config_owner is not null and config_owner <> new.owner_id then
      raise exception 'phone_numbers.agent_config_id % belongs to another owner.', new.agent_config_id
        using errcode = '23514', constraint = 'phone_numbers_agent_config_owner_check', column = 'agent_config_id',
              hint = 'A number can only be answered by one of its owner''s own agent configs.';
    end if;
  end if;
  return new;
end $$;
create trigger phone_numbers_check before insert or update on public.phone_numbers
  for each row execute function private.check_phone_number();
