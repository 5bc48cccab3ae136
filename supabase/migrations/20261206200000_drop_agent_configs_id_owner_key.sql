-- Feature: drops agent_configs_id_owner_key, the unique (id, owner_id) constraint meant for a
-- composite foreign key from phone_numbers that was never made. Ownership of a number's config is
-- checked by private.check_phone_number(), whose message says what to do; id is the primary key
-- already, so the constraint only cost an index.
-- Access: unchanged.
alter table public.agent_configs drop constraint agent_configs_id_owner_key;
