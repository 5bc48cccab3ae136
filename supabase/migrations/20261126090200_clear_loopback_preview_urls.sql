-- Feature: forget voice preview URLs that point at this machine.
-- The catalog sync run against the dev ElevenLabs fake stored http://127.0.0.1:<port>/previews/...
-- URLs, and the fake takes a new port on every start, so those samples broke in the persistent dev
-- database. The sync no longer stores loopback URLs (shared/voices_sync.ts, publicPreviewUrl);
-- this clears the ones already stored. Null is safe: voice-preview synthesizes a standard sample.
-- Matches nothing on a database that never synced against a local fake.
update public.voices
   set preview_url = null
 where preview_url ~* '^https?://(localhost|[^/:]*\.localhost|127\.[0-9]+\.[0-9]+\.[0-9]+|\[::1\]|0\.0\.0\.0)([:/?#]|$)';
