-- Feature: agent_configs.transfer_number is normalized to E.164 on write, as phone_numbers.e164
-- is, so '+1 (415) 555-0100' is stored as '+14155550100' instead of failing a bare CHECK.
-- A value that cannot be a phone number is refused with a message naming the column, the value
-- and the expected form. A blank field means "no transfers" (null), as a cleared form sends it.
-- The agent_configs_transfer_number_check constraint stays as the last line of defence.

create function private.normalize_agent_config_transfer_number() returns trigger
language plpgsql security invoker set search_path = ''
as $$
declare
  normalized text;
begin
  if new.transfer_number is null or btrim(new.transfer_number) = '' then
    new.transfer_number := null;
    return new;
  end if;
  normalized := public.normalize_e164(new.transfer_number);
  if normalized is null then
    raise exception 'agent_configs.transfer_number % is not a phone number that can be written in E.164.', quote_literal(new.transfer_number)
      using errcode = '23514', constraint = 'agent_configs_transfer_number_check', column = 'transfer_number',
            hint = 'Use the international form with the country code, e.g. +14155550100 (ten digits such as (415) 555-0100 are read as a North American number). Leave it empty for no transfers.';
  end if;
  new.transfer_number := normalized;
  return new;
end $$;

-- Before-triggers fire in name order: this one has to rewrite the number before
-- agent_configs_bump_version compares old and new, so that retyping the same number in another
-- format is not a new config version.
create trigger agent_configs_amend_transfer_number before insert or update of transfer_number on public.agent_configs
  for each row execute function private.normalize_agent_config_transfer_number();

comment on column public.agent_configs.transfer_number is 'E.164 number a caller can be transferred to (typed forms are normalized on write); null disables transfers.';
