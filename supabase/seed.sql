-- Seed: the voice catalog the runbook used, with Rachel as the default voice.
-- Written as an upsert that never overwrites: it runs on every migrate, and the catalog sync
-- or an operator may since have changed names, labels or which voices are enabled.
insert into public.voices (voice_id, provider, name, category, labels, is_default)
values
  ('21m00Tcm4TlvDq8ikWAM', 'elevenlabs', 'Rachel', 'premade', '{"gender": "female", "accent": "american"}', true),
  ('pNInz6obpgDQGcFmaJgB', 'elevenlabs', 'Adam', 'premade', '{"gender": "male", "accent": "american"}', false),
  ('EXAVITQu4vr4xnSDxMaL', 'elevenlabs', 'Sarah', 'premade', '{"gender": "female", "accent": "american"}', false),
  ('MF3mGyEYCl7XYWbV9V6O', 'elevenlabs', 'Elli', 'premade', '{"gender": "female", "accent": "american"}', false),
  ('TxGEqnHWrfWFTfGW9XjX', 'elevenlabs', 'Josh', 'premade', '{"gender": "male", "accent": "american"}', false),
  ('pFZP5JQG7iQjIQuC4Bku', 'elevenlabs', 'Lily', 'premade', '{"gender": "female", "accent": "british"}', false),
  ('nPczCjzI2devNBz1zQrb', 'elevenlabs', 'Brian', 'premade', '{"gender": "male", "accent": "american"}', false)
on conflict (voice_id) do nothing;
