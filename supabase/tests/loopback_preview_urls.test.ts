// Preview URLs on this machine (the dev ElevenLabs fake's, whose port changes every start) are
// cleared by migration; hosted ones stay.
import { readFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { publicPreviewUrl } from '../../shared/voices_sync.ts';
import { createTestDatabase, type TestDatabase } from '../../test/db/harness.ts';

const MIGRATION = new URL('../migrations/20261126090200_clear_loopback_preview_urls.sql', import.meta.url);

let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase();
});
afterAll(() => db.close());

describe('clearing loopback preview URLs', () => {
  it("nulls the dev fake's URLs and keeps hosted ones, as the sync would", async () => {
    const urls: Record<string, string> = {
      '21m00Tcm4TlvDq8ikWAM': 'http://127.0.0.1:54329/previews/21m00Tcm4TlvDq8ikWAM.mp3',
      pNInz6obpgDQGcFmaJgB: 'http://localhost:8080/previews/a.mp3',
      EXAVITQu4vr4xnSDxMaL: 'http://[::1]:9/s.mp3',
      MF3mGyEYCl7XYWbV9V6O: 'https://storage.googleapis.com/eleven-public-prod/e.mp3',
      TxGEqnHWrfWFTfGW9XjX: 'https://localhost.example.com/j.mp3',
    };
    for (const [voiceId, url] of Object.entries(urls))
      await db.sql`update public.voices set preview_url = ${url} where voice_id = ${voiceId}`;
    await db.sql.unsafe(await readFile(MIGRATION, 'utf8'));
    const rows = await db.sql<{ voice_id: string; preview_url: string | null }[]>`
      select voice_id, preview_url from public.voices where voice_id = any(${Object.keys(urls)})`;
    for (const { voice_id, preview_url } of rows) {
      expect(preview_url, voice_id).toBe(publicPreviewUrl(urls[voice_id]));
    }
    expect(
      rows
        .filter((r) => r.preview_url !== null)
        .map((r) => r.voice_id)
        .sort(),
    ).toEqual(['MF3mGyEYCl7XYWbV9V6O', 'TxGEqnHWrfWFTfGW9XjX']);
  });
});
