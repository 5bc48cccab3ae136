-- Feature: voice-ID refusals name the voice a person meant, for the mistake they made.
-- ' 21m00Tcm4TlvDq8ikWAM' (a stray space from a copy) was refused with no suggestion, and an ID
-- typed in the wrong case ('21M00TCM4TLVDQ8IKWAM') got the generic "not in the catalog" hint,
-- though both name a catalog voice. repair_voice_id() now also strips tabs and newlines, not only
-- spaces. shared/voice_id.ts (voiceIdHint, repairVoiceId) follows the same rules.

-- One sentence naming the catalog voice `value` was meant to be, or null: stray whitespace, a
-- provider prefix, the wrong case, or a voice's name, tried in that order (as repair_voice_id).
create function private.voice_id_hint(value text) returns text
language plpgsql stable security invoker set search_path = ''
as $$
declare
  trimmed text := regexp_replace(coalesce(value, ''), '^\s+|\s+$', '', 'g');
  bare text := regexp_replace(trimmed, '^(11labs|elevenlabs|eleven_labs|eleven-labs)[-_:]\s*', '', 'i');
  match record;
begin
  select v.voice_id, v.name into match from public.voices v where v.voice_id = bare;
  if found then
    if match.voice_id = value then
      return null;
    end if;
    return format('%s: the voice ID of %s is %s.',
      case when bare <> trimmed then 'Drop the provider prefix' else 'Remove the whitespace' end, match.name, match.voice_id);
  end if;
  select v.voice_id, v.name into match from public.voices v where lower(v.voice_id) = lower(bare) order by v.voice_id limit 1;
  if found then
    return format('Voice IDs are case-sensitive: the voice ID of %s is %s.', match.name, match.voice_id);
  end if;
  select v.voice_id, v.name into match from public.voices v where lower(v.name) = lower(bare) order by v.enabled desc, v.voice_id limit 1;
  if found then
    return format('%s is the name of a voice; its voice ID is %s.', match.name, match.voice_id);
  end if;
  return null;
end $$;

-- As before, with the hint from voice_id_hint() on both the format and the catalog refusal.
create or replace function private.assert_voice_id(column_name text, value text, must_be_enabled boolean)
returns void
language plpgsql stable security definer set search_path = ''
as $$
declare
  problem text := private.voice_id_format_problem(value);
  suggestion text;
  found_voice record;
begin
  if problem is not null then
    suggestion := private.voice_id_hint(value);
    raise exception '% % is not a valid voice ID: it %.', column_name, coalesce(quote_literal(value), 'null'), problem
      using errcode = '23514',
            constraint = replace(column_name, '.', '_') || '_check',
            column = split_part(column_name, '.', 2),
            hint = case
              when suggestion is not null then suggestion || ' Valid IDs are the voice_id values in public.voices.'
              else 'Valid IDs are the voice_id values in public.voices (the voice catalog).'
            end;
  end if;
  select v.voice_id, v.enabled into found_voice from public.voices v where v.voice_id = value;
  if found_voice.voice_id is null then
    suggestion := private.voice_id_hint(value);
    raise exception '% % is not in the voice catalog.', column_name, quote_literal(value)
      using errcode = '23503',
            constraint = replace(column_name, '.', '_') || '_fkey',
            column = split_part(column_name, '.', 2),
            hint = case
              when suggestion is not null then suggestion || ' Valid IDs are the voice_id values in public.voices.'
              else 'Valid IDs are the voice_id values in public.voices. Run the catalog sync if the voice is new.'
            end;
  end if;
  if must_be_enabled and not found_voice.enabled then
    raise exception '% % is disabled in the voice catalog.', column_name, quote_literal(value)
      using errcode = '23514',
            constraint = replace(column_name, '.', '_') || '_enabled_check',
            column = split_part(column_name, '.', 2),
            hint = 'Choose an enabled voice from public.voices (enabled = true).';
  end if;
end $$;

-- btrim() strips only spaces; a pasted ID often carries a tab or a newline.
create or replace function public.repair_voice_id(raw text) returns text
language sql stable security invoker set search_path = ''
as $$
  with cleaned as (
    select regexp_replace(
      regexp_replace(coalesce(raw, ''), '^\s+|\s+$', '', 'g'),
      '^(11labs|elevenlabs|eleven_labs|eleven-labs)[-_:]\s*', '', 'i') as value
  )
  select coalesce(
    (select v.voice_id from public.voices v, cleaned c where v.voice_id = c.value),
    (select v.voice_id from public.voices v, cleaned c where lower(v.voice_id) = lower(c.value) order by v.voice_id limit 1),
    (select v.voice_id from public.voices v, cleaned c where lower(v.name) = lower(c.value) order by v.enabled desc, v.voice_id limit 1)
  );
$$;
