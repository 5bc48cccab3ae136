-- Feature: the voice-ID rule, in one place, with errors a person can act on.
-- The runbook's worst outage came from friendly names ('Kate', '11labs-Kate') stored where
-- ElevenLabs voice IDs belong. A bare CHECK failure does not say what to do; these do.
-- shared/voice_id.ts implements the same rule for the frontend, functions and agent.

-- Why a value is not a well-formed voice ID, or null when it is. Format only: no catalog lookup.
create function private.voice_id_format_problem(value text) returns text
language plpgsql immutable security invoker set search_path = ''
as $$
begin
  if value is null then
    return 'is missing';
  elsif value = '' then
    return 'is empty';
  elsif value ~ '\s' then
    return 'contains whitespace';
  elsif value !~ '^[\x21-\x7e]*$' then
    return 'contains non-ASCII characters (a lookalike letter pasted from elsewhere?)';
  elsif value ~* '^(11labs|elevenlabs|eleven_labs|eleven-labs)[-_:]' then
    return 'has a provider prefix; store the bare ElevenLabs voice ID';
  elsif value !~ '^[A-Za-z0-9]+$' then
    return 'may contain only ASCII letters and digits';
  elsif length(value) <> 20 then
    return format('is %s characters long; ElevenLabs voice IDs are exactly 20', length(value));
  end if;
  return null;
end $$;

-- Raises a check_violation naming the column, the bad value and where valid IDs come from.
-- A friendly name that matches a catalog voice gets that voice's ID in the hint.
create function private.assert_voice_id(column_name text, value text, must_be_enabled boolean)
returns void
language plpgsql stable security definer set search_path = ''
as $$
declare
  problem text := private.voice_id_format_problem(value);
  by_name record;
  found record;
begin
  if problem is not null then
    select v.voice_id, v.name into by_name
      from public.voices v
     where lower(v.name) = lower(regexp_replace(btrim(coalesce(value, '')), '^(11labs|elevenlabs|eleven_labs|eleven-labs)[-_:]', '', 'i'))
     limit 1;
    raise exception '% % is not a valid voice ID: it %.', column_name, coalesce(quote_literal(value), 'null'), problem
      using errcode = '23514',
            constraint = replace(column_name, '.', '_') || '_check',
            column = split_part(column_name, '.', 2),
            hint = case
              when by_name.voice_id is not null then
                format('%s is the name of a voice; its voice ID is %s. Valid IDs are the voice_id values in public.voices.', by_name.name, by_name.voice_id)
              else 'Valid IDs are the voice_id values in public.voices (the voice catalog).'
            end;
  end if;
  select v.voice_id, v.enabled into found from public.voices v where v.voice_id = value;
  if found.voice_id is null then
    raise exception '% % is not in the voice catalog.', column_name, quote_literal(value)
      using errcode = '23503',
            constraint = replace(column_name, '.', '_') || '_fkey',
            column = split_part(column_name, '.', 2),
            hint = 'Valid IDs are the voice_id values in public.voices. Run the catalog sync if the voice is new.';
  end if;
  if must_be_enabled and not found.enabled then
    raise exception '% % is disabled in the voice catalog.', column_name, quote_literal(value)
      using errcode = '23514',
            constraint = replace(column_name, '.', '_') || '_enabled_check',
            column = split_part(column_name, '.', 2),
            hint = 'Choose an enabled voice from public.voices (enabled = true).';
  end if;
end $$;

-- The catalog itself holds only well-formed IDs.
create function private.check_voices_voice_id() returns trigger
language plpgsql security definer set search_path = ''
as $$
declare
  problem text := private.voice_id_format_problem(new.voice_id);
begin
  if problem is not null then
    raise exception 'voices.voice_id % is not a valid voice ID: it %.', coalesce(quote_literal(new.voice_id), 'null'), problem
      using errcode = '23514', constraint = 'voices_voice_id_check', column = 'voice_id',
            hint = 'Use the voice_id ElevenLabs returns from GET /v2/voices, not the voice''s name.';
  end if;
  return new;
end $$;
create trigger voices_check_voice_id before insert or update of voice_id on public.voices
  for each row execute function private.check_voices_voice_id();
