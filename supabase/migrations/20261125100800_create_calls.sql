-- Feature: calls, one row per phone call: who called which number, which config (and version)
-- answered, how it ended, how fast the agent was and what it cost.
-- Access: owners read their own calls; the worker writes them as service_role.
-- PII: caller_number and dialed_number are personal data; never copy them into logs.
create table public.calls (
  id uuid primary key default gen_random_uuid(),
  room_name text not null,
  livekit_call_id text,
  trunk_id text,
  dispatch_rule_id text,
  caller_number text,
  dialed_number text,
  owner_id uuid references auth.users (id) on delete cascade,
  agent_config_id uuid references public.agent_configs (id) on delete set null,
  config_version integer,
  config_source text,
  started_at timestamptz not null default now(),
  answered_at timestamptz,
  ended_at timestamptz,
  end_reason text,
  turns integer not null default 0,
  latency_p50_ms integer,
  latency_p90_ms integer,
  stt_seconds numeric(10, 2) not null default 0,
  llm_prompt_tokens integer not null default 0,
  llm_completion_tokens integer not null default 0,
  tts_characters integer not null default 0,
  details jsonb not null default '{}'::jsonb,
  constraint calls_livekit_call_id_key unique (livekit_call_id),
  constraint calls_config_source_check check (config_source in ('cache', 'database', 'last_known', 'default')),
  constraint calls_end_reason_check check (end_reason in (
    'caller_hangup', 'agent_hangup', 'transferred', 'max_duration', 'silence_timeout',
    'unknown_number', 'provider_error', 'worker_shutdown', 'error')),
  constraint calls_ended_check check ((ended_at is null) = (end_reason is null)),
  constraint calls_counts_check check (turns >= 0 and stt_seconds >= 0 and llm_prompt_tokens >= 0
    and llm_completion_tokens >= 0 and tts_characters >= 0),
  constraint calls_latency_check check (latency_p50_ms is null or latency_p90_ms is null or latency_p50_ms <= latency_p90_ms)
);
comment on table public.calls is 'One row per phone call, with its outcome, per-turn latency and usage.';
comment on column public.calls.config_source is 'Where the config came from: worker cache, database, last known copy (database down), or the default agent.';
comment on column public.calls.latency_p50_ms is 'Median per-turn latency: end-of-utterance delay + LLM time to first token + TTS time to first byte.';
comment on column public.calls.caller_number is 'PII: the caller''s number as LiveKit reported it.';

create index calls_owner_started_idx on public.calls (owner_id, started_at desc);
create index calls_agent_config_id_idx on public.calls (agent_config_id);

alter table public.calls enable row level security;
grant select on public.calls to authenticated;
grant select, insert, update on public.calls to service_role;

create policy "owners can read their calls" on public.calls
  for select to authenticated
  using ((select auth.uid()) = owner_id);
