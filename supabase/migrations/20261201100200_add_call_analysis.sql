-- Feature: post-call analysis. After the hang-up the config's LLM writes a short summary and an
-- outcome onto the call; its tokens count in the call's usage. A failed or timed-out analysis is
-- marked failed and never holds back the call record.
-- Switches on agent_configs: take_messages (the take_message tool) and post_call_analysis.
alter table public.calls
  add column summary text,
  add column outcome text,
  add column analysis_status text not null default 'pending',
  add column analysis_error text,
  add constraint calls_outcome_check check (outcome in (
    'message_taken', 'transferred', 'question_answered', 'spam', 'caller_hung_up_early', 'other')),
  add constraint calls_analysis_status_check check (analysis_status in ('pending', 'done', 'failed', 'skipped')),
  add constraint calls_analysis_done_check check (analysis_status <> 'done' or outcome is not null);
comment on column public.calls.summary is 'PII: the LLM''s short summary of the call.';
comment on column public.calls.analysis_status is 'pending until analysed; done, failed (analysis_error says why) or skipped (switched off).';

alter table public.agent_configs
  add column take_messages boolean not null default true,
  add column post_call_analysis boolean not null default true;
comment on column public.agent_configs.take_messages is 'Offer the take_message tool on calls.';
comment on column public.agent_configs.post_call_analysis is 'Summarize each call and classify its outcome after the hang-up.';
