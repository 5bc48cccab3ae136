-- Feature: the `private` schema for helpers that triggers call with elevated rights.
-- Access: no role but the owner can use it; nothing here is exposed through the Data API.
create schema if not exists private;
comment on schema private is 'Switchboard internals: trigger helpers, never exposed through the Data API.';
revoke all on schema private from public;

-- Touches updated_at on every change.
create function private.touch_updated_at() returns trigger
language plpgsql security invoker set search_path = ''
as $$
begin
  new.updated_at := now();
  return new;
end $$;
