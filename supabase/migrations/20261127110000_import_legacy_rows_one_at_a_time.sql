-- Feature: import_legacy_agent_configs() settles each row on its own. Before, one row the
-- database refused (a voice that maps to a disabled catalog voice, a blank name) aborted the
-- whole batch, and a number that belonged to someone else was dropped silently while its row was
-- marked imported. Now every row is either imported, or kept as 'needs_attention' with its reason
-- in `problem` and an open config_issues row for its owner; the other rows are not affected.
-- Codes (subject legacy_import): legacy_voice_unmapped (existing), legacy_voice_disabled,
-- legacy_name_invalid, legacy_number_invalid, legacy_number_unavailable, legacy_import_failed.
-- Access: unchanged (service_role runs it; owners read their rows and issues).

create or replace function public.import_legacy_agent_configs()
returns table (imported integer, needs_attention integer)
language plpgsql security definer set search_path = ''
as $$
declare
  item record;
  voice record;
  config_id uuid;
  number_e164 text;
  holder_id uuid;
  holder_config_id uuid;
  row_problem text;
  issue_code text;
  issue_message text;
  issue_details jsonb;
  failure text;
  done integer := 0;
  flagged integer := 0;
begin
  for item in
    select * from public.legacy_agent_config_imports where status in ('pending', 'needs_attention') order by created_at, id for update
  loop
    row_problem := null;
    config_id := null;
    holder_id := null;
    holder_config_id := null;
    issue_details := jsonb_build_object('raw_voice_id', item.raw_voice_id);
    select v.voice_id, v.name, v.enabled into voice
      from public.voices v where v.voice_id = public.repair_voice_id(item.raw_voice_id);
    number_e164 := public.normalize_e164(item.phone_number);
    if number_e164 is not null then
      select p.owner_id, p.agent_config_id into holder_id, holder_config_id from public.phone_numbers p where p.e164 = number_e164;
    end if;

    -- The reasons a row cannot be imported, the first that applies.
    if voice.voice_id is null then
      row_problem := format('voice %s matches no voice in public.voices', coalesce(quote_literal(item.raw_voice_id), 'null'));
      issue_code := 'legacy_voice_unmapped';
      issue_message := format('The imported config %s used the voice %s, which matches no catalog voice. Pick a voice for it; it has not been created yet.',
                              quote_literal(item.name), coalesce(quote_literal(item.raw_voice_id), 'null'));
    elsif not voice.enabled then
      row_problem := format('voice %s maps to %s (%s), which is disabled in public.voices', quote_literal(item.raw_voice_id), voice.name, voice.voice_id);
      issue_code := 'legacy_voice_disabled';
      issue_message := format('The imported config %s used the voice %s (%s), which is disabled in the catalog. Pick another voice for it; it has not been created yet.',
                              quote_literal(item.name), voice.name, voice.voice_id);
    elsif length(btrim(item.name)) not between 1 and 100 then
      row_problem := format('name %s is %s; a config name has 1 to 100 characters',
                        quote_literal(item.name), case when btrim(item.name) = '' then 'blank' else 'too long' end);
      issue_code := 'legacy_name_invalid';
      issue_message := format('An imported config has the name %s, which is %s. Give it a name of 1 to 100 characters; it has not been created yet.',
                              quote_literal(left(item.name, 100)), case when btrim(item.name) = '' then 'blank' else 'too long' end);
    elsif btrim(coalesce(item.phone_number, '')) <> '' and number_e164 is null then
      row_problem := format('phone number %s cannot be written in E.164', quote_literal(item.phone_number));
      issue_code := 'legacy_number_invalid';
      issue_message := format('The imported config %s comes with the phone number %s, which is not a phone number that can be written in E.164. Correct it (e.g. +15551234567) or remove it; the config has not been created yet.',
                              quote_literal(item.name), quote_literal(item.phone_number));
      issue_details := issue_details || jsonb_build_object('pii.phone_number', item.phone_number);
    elsif holder_id is not null and holder_id <> item.owner_id then
      -- The row's owner reads both texts: they say the number cannot be theirs, not whose it is.
      -- The operator sees who holds it in public.phone_numbers.
      row_problem := format('phone number %s cannot be assigned to this account', number_e164);
      issue_code := 'legacy_number_unavailable';
      issue_message := format('The imported config %s comes with the phone number %s, which cannot be given to this account. Ask the operator to provision it for this account, or remove it from the import; the config has not been created yet.',
                              quote_literal(item.name), number_e164);
      issue_details := issue_details || jsonb_build_object('pii.phone_number', number_e164);
    end if;

    if row_problem is null then
      -- Anything else the database refuses undoes this row only.
      begin
        insert into public.agent_configs (owner_id, name, voice_id, system_prompt, greeting)
        values (item.owner_id, item.name, voice.voice_id, item.system_prompt, item.greeting)
        returning id into config_id;
        if number_e164 is not null then
          if holder_id is null then
            insert into public.phone_numbers (e164, owner_id, agent_config_id, label)
            values (number_e164, item.owner_id, config_id, item.name);
          elsif holder_config_id is null then
            update public.phone_numbers set agent_config_id = config_id where public.phone_numbers.e164 = number_e164;
          end if;
          -- A number of the owner's that already has a config keeps it.
        end if;
      exception
        when unique_violation then
          -- The number was provisioned for someone between the check above and the insert.
          config_id := null;
          row_problem := format('phone number %s cannot be assigned to this account', number_e164);
          issue_code := 'legacy_number_unavailable';
          issue_message := format('The imported config %s comes with the phone number %s, which cannot be given to this account. Ask the operator to provision it for this account, or remove it from the import; the config has not been created yet.',
                                  quote_literal(item.name), number_e164);
          issue_details := issue_details || jsonb_build_object('pii.phone_number', number_e164);
        when others then
          get stacked diagnostics failure = message_text;
          config_id := null;
          row_problem := format('the database refused the row: %s', failure);
          issue_code := 'legacy_import_failed';
          issue_message := format('The imported config %s could not be created: %s. Correct the import row and run the import again.',
                                  quote_literal(item.name), rtrim(failure, '.'));
      end;
    end if;

    if row_problem is null then
      update public.legacy_agent_config_imports
         set status = 'imported', resolved_voice_id = voice.voice_id, agent_config_id = config_id, problem = null, imported_at = now()
       where id = item.id;
      update public.config_issues set resolved_at = now()
       where subject_type = 'legacy_import' and subject_id = item.id::text and resolved_at is null;
      done := done + 1;
    else
      update public.legacy_agent_config_imports
         set status = 'needs_attention', problem = row_problem
       where id = item.id;
      -- One open issue per row: the reason it has now.
      update public.config_issues set resolved_at = now()
       where subject_type = 'legacy_import' and subject_id = item.id::text and code <> issue_code and resolved_at is null;
      perform private.open_config_issue(item.owner_id, 'legacy_import', item.id::text, issue_code, 'error', issue_message, issue_details);
      flagged := flagged + 1;
    end if;
  end loop;
  return query select done, flagged;
end $$;
comment on function public.import_legacy_agent_configs() is 'Turns pending legacy imports into agent_configs, repairing voice values, one row at a time: a row that cannot be imported is kept as needs_attention with its reason and flagged, and the others still import. service_role only.';
revoke execute on function public.import_legacy_agent_configs() from public, anon, authenticated;
grant execute on function public.import_legacy_agent_configs() to service_role;
