-- Feature: messages the agent took for the owner (the take_message tool): who called, how to call
-- them back, what they want, whether it is urgent. The receptionist's main job.
-- Access: owners read their messages and change only their status (new -> handled and back);
-- only the worker (service_role) writes them.
-- PII: caller_name, callback_number and body are personal data: never log them.
create table public.messages (
  id uuid primary key default gen_random_uuid(),
  call_id uuid references public.calls (id) on delete set null,
  owner_id uuid references auth.users (id) on delete cascade,
  caller_name text not null default '',
  callback_number text,
  body text not null,
  urgent boolean not null default false,
  status text not null default 'new',
  handled_at timestamptz,
  created_at timestamptz not null default now(),
  constraint messages_status_check check (status in ('new', 'handled')),
  constraint messages_body_check check (char_length(btrim(body)) between 1 and 4000),
  constraint messages_caller_name_check check (char_length(caller_name) <= 200),
  constraint messages_callback_number_check check (callback_number is null or callback_number ~ '^\+[1-9][0-9]{6,14}$'),
  constraint messages_handled_check check ((status = 'handled') = (handled_at is not null))
);
comment on table public.messages is 'Messages callers left through the agent (take_message), for the owner to call back.';
comment on column public.messages.callback_number is 'PII: E.164 callback number the caller confirmed (default: the caller ID).';

create index messages_owner_created_idx on public.messages (owner_id, created_at desc);
create index messages_call_id_idx on public.messages (call_id);
-- One message per call and text: a tool call retried after a timeout files nothing twice.
create unique index messages_call_body_key on public.messages (call_id, md5(body)) where call_id is not null;

-- owner_id comes from the call; handled_at follows status, so a client only ever sends status.
create function private.messages_fill() returns trigger
language plpgsql security definer set search_path = ''
as $$
begin
  if tg_op = 'INSERT' and new.call_id is not null then
    select c.owner_id into new.owner_id from public.calls c where c.id = new.call_id;
  end if;
  if tg_op = 'INSERT' or new.status is distinct from old.status then
    new.handled_at := case when new.status = 'handled' then now() else null end;
  end if;
  return new;
end;
$$;
create trigger messages_fill before insert or update on public.messages
  for each row execute function private.messages_fill();

alter table public.messages enable row level security;
grant select on public.messages to authenticated;
grant update (status) on public.messages to authenticated;
grant select, insert, update on public.messages to service_role;

create policy "owners read their messages" on public.messages
  for select to authenticated using ((select auth.uid()) = owner_id);
create policy "owners mark their messages handled" on public.messages
  for update to authenticated using ((select auth.uid()) = owner_id) with check ((select auth.uid()) = owner_id);
create policy "the worker writes messages" on public.messages
  for all to service_role using (true) with check (true);
