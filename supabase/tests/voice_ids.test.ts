// The database refuses every voice-ID mistake that once took calls down, and says how to fix it.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { voiceIdHint, voiceIdProblem } from '../../shared/voice_id.ts';
import { createTestDatabase, type TestDatabase } from '../../test/db/harness.ts';
import type { Persona } from '../../test/db/personas.ts';

const RACHEL = '21m00Tcm4TlvDq8ikWAM';
const ADAM = 'pNInz6obpgDQGcFmaJgB';

let db: TestDatabase;
let owner: Persona;

beforeAll(async () => {
  db = await createTestDatabase();
  owner = await db.createUser('owner@example.test');
});
afterAll(() => db.close());

const insertConfig = (voiceId: string) =>
  db.as(
    owner,
    (sql) =>
      sql`insert into public.agent_configs (name, voice_id) values ('Front desk', ${voiceId}) returning voice_id`,
  );

describe('agent_configs.voice_id', () => {
  const bad: Array<[string, string, RegExp]> = [
    ['a friendly name', 'Rachel', /is not a valid voice ID: it is 6 characters long/],
    ['another friendly name', 'Kate', /is not a valid voice ID/],
    ['a prefixed value', '11labs-Kate', /has a provider prefix/],
    ['a prefixed real ID', `11labs-${RACHEL}`, /has a provider prefix/],
    ['a value one character short', RACHEL.slice(0, 19), /is 19 characters long/],
    ['a value one character long', `${RACHEL}x`, /is 21 characters long/],
    ['a Cyrillic lookalike', RACHEL.replace('c', 'с'), /non-ASCII/],
    ['a trailing space', `${RACHEL} `, /whitespace/],
    ['a leading tab', `\t${RACHEL}`, /whitespace/],
    ['punctuation', 'abcdefghij-klmnopqrs', /only ASCII letters and digits/],
    ['the empty string', '', /it is empty/],
  ];
  for (const [label, value, reason] of bad) {
    it(`refuses ${label} (${JSON.stringify(value)}), naming the column, the value and the catalog`, async () => {
      const error = await insertConfig(value).then(
        () => null,
        (e: unknown) => e as { message: string; hint: string; code: string; column_name: string },
      );
      expect(error).not.toBeNull();
      expect(error!.message).toMatch(reason);
      expect(error!.message).toContain('agent_configs.voice_id');
      expect(error!.message).toContain(`'${value}'`);
      expect(error!.hint).toContain('public.voices');
      expect(error!.code).toBe('23514');
      expect(error!.column_name).toBe('voice_id');
      // shared/ agrees with the database on every malformed value
      expect(voiceIdProblem(value)).not.toBeNull();
    });
  }

  it('tells a person who typed a voice name which ID that voice has', async () => {
    await expect(insertConfig('rachel')).rejects.toMatchObject({
      hint: expect.stringContaining(`its voice ID is ${RACHEL}`),
    });
    await expect(insertConfig('11labs-Adam')).rejects.toMatchObject({ hint: expect.stringContaining(ADAM) });
  });

  it('tells a person whose ID has stray whitespace to remove it, not that it is a name', async () => {
    for (const value of [` ${RACHEL}`, `${RACHEL} `, `\t${RACHEL}\n`]) {
      const error = await insertConfig(value).then(
        () => null,
        (e: unknown) => e as { message: string; hint: string; code: string },
      );
      expect(error).toMatchObject({ code: '23514', message: expect.stringContaining('contains whitespace') });
      expect(error!.hint).toBe(
        `Remove the whitespace: the voice ID of Rachel is ${RACHEL}. Valid IDs are the voice_id values in public.voices.`,
      );
    }
  });

  it('tells a person who dropped the prefix onto a real ID which ID to store', async () => {
    await expect(insertConfig(`11labs-${RACHEL}`)).rejects.toMatchObject({
      hint: `Drop the provider prefix: the voice ID of Rachel is ${RACHEL}. Valid IDs are the voice_id values in public.voices.`,
    });
  });

  it('names the right ID for a voice ID typed in the wrong case', async () => {
    for (const value of [RACHEL.toUpperCase(), RACHEL.toLowerCase()]) {
      const error = await insertConfig(value).then(
        () => null,
        (e: unknown) => e as { message: string; hint: string; code: string },
      );
      expect(error).toMatchObject({
        code: '23503',
        message: `agent_configs.voice_id '${value}' is not in the voice catalog.`,
      });
      expect(error!.hint).toBe(
        `Voice IDs are case-sensitive: the voice ID of Rachel is ${RACHEL}. Valid IDs are the voice_id values in public.voices.`,
      );
    }
  });

  it('gives the same advice as shared/voice_id.ts for every kind of mistake', async () => {
    const catalog = await db.sql<
      { voice_id: string; name: string; enabled: boolean }[]
    >`select voice_id, name, enabled from public.voices`;
    for (const value of [
      ` ${RACHEL}`,
      `11labs-${RACHEL}`,
      RACHEL.toUpperCase(),
      'rachel',
      '11labs-Adam',
      RACHEL,
      'Kate',
      '',
    ]) {
      const [row] = await db.sql<{ hint: string | null }[]>`select private.voice_id_hint(${value}) as hint`;
      expect(row!.hint?.replace('voice ID', 'voice_id') ?? null, JSON.stringify(value)).toBe(
        voiceIdHint(value, catalog),
      );
    }
  });

  it('refuses a well-formed ID that is not in the catalog', async () => {
    await expect(insertConfig('AAAAAAAAAAAAAAAAAAAA')).rejects.toMatchObject({
      code: '23503',
      message: expect.stringContaining('is not in the voice catalog'),
    });
  });

  it('refuses a disabled catalog voice for a new config', async () => {
    await db.sql`update public.voices set enabled = false where voice_id = ${ADAM}`;
    try {
      await expect(insertConfig(ADAM)).rejects.toMatchObject({ message: expect.stringContaining('is disabled') });
    } finally {
      await db.sql`update public.voices set enabled = true where voice_id = ${ADAM}`;
    }
  });

  it('accepts every enabled catalog voice and defaults to the catalog default', async () => {
    const voices = await db.sql<{ voice_id: string }[]>`select voice_id from public.voices where enabled`;
    expect(voices.length).toBe(7);
    for (const { voice_id } of voices) {
      const [row] = await insertConfig(voice_id);
      expect(row!.voice_id).toBe(voice_id);
      expect(voiceIdProblem(voice_id)).toBeNull();
    }
    const [row] = await db.as(
      owner,
      (sql) => sql`insert into public.agent_configs (name) values ('Defaults') returning voice_id`,
    );
    expect(row!.voice_id).toBe(RACHEL);
  });
});

describe('voices catalog', () => {
  it('refuses a friendly name as a catalog voice_id', async () => {
    await expect(db.sql`insert into public.voices (voice_id, name) values ('Kate', 'Kate')`).rejects.toMatchObject({
      message: expect.stringContaining("voices.voice_id 'Kate' is not a valid voice ID"),
    });
  });

  it('keeps exactly one enabled default', async () => {
    await expect(db.sql`update public.voices set is_default = true where voice_id = ${ADAM}`).rejects.toMatchObject({
      code: '23505',
    });
    await expect(db.sql`update public.voices set is_default = false where voice_id = ${RACHEL}`).rejects.toMatchObject({
      message: expect.stringContaining('exactly one enabled default'),
    });
    await expect(db.sql`update public.voices set enabled = false where voice_id = ${RACHEL}`).rejects.toMatchObject({
      code: '23514',
    });
    // moving the default inside one transaction is allowed
    await db.sql.begin(async (tx) => {
      await tx`update public.voices set is_default = false where voice_id = ${RACHEL}`;
      await tx`update public.voices set is_default = true where voice_id = ${ADAM}`;
    });
    const [row] = await db.sql`select public.default_voice_id() as id`;
    expect(row!.id).toBe(ADAM);
    await db.sql.begin(async (tx) => {
      await tx`update public.voices set is_default = false where voice_id = ${ADAM}`;
      await tx`update public.voices set is_default = true where voice_id = ${RACHEL}`;
    });
  });
});
