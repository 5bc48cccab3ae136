// `npm run voices -- sync` against a real database and the ElevenLabs fake.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../../test/db/harness.ts';
import { type ElevenLabsFake, startElevenLabsFake } from '../../test/fakes/elevenlabs.ts';
import { startTcpProxy } from '../../test/fakes/tcp_proxy.ts';
import { freePort } from '../db/embedded.ts';
import { EXIT_CODE } from '../exit_code.ts';
import { runVoicesCli } from './cli.ts';

let db: TestDatabase;
let fake: ElevenLabsFake;
beforeAll(async () => {
  db = await createTestDatabase();
  fake = await startElevenLabsFake();
});
afterAll(async () => {
  await fake.close();
  await db.close();
});

async function run(argv: string[], env: Record<string, string | undefined> = {}) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runVoicesCli(argv, {
    env: { DATABASE_URL: db.url, ELEVEN_API_KEY: fake.apiKey, ELEVENLABS_BASE_URL: fake.apiBaseUrl, ...env },
    out: (line) => out.push(line),
    err: (line) => err.push(line),
  });
  return { code, out, err };
}
const count = async () => (await db.sql`select count(*)::int as n from public.voices`)[0]!.n;

describe('npm run voices -- sync', () => {
  it('--dry-run reports and writes nothing', async () => {
    const { code, out } = await run(['sync', '--dry-run']);
    expect(code).toBe(EXIT_CODE.ok);
    expect(out.filter((l) => l.startsWith('would add'))).toHaveLength(5);
    expect(out.at(-1)).toMatch(/^dry run: 5 added/);
    expect(await count()).toBe(7);
  });

  it('syncs, then finds nothing to change', async () => {
    expect((await run(['sync'])).out.at(-1)).toMatch(/^5 added, \d+ updated, 0 disabled/);
    expect(await count()).toBe(12);
    const again = await run(['sync', '--json']);
    expect(JSON.parse(again.out.join('\n'))).toMatchObject({ changed: false, unchanged: 12 });
  });

  it('explains what to fix, with exit codes from scripts/exit_code.ts', async () => {
    expect(await run(['sink'])).toMatchObject({
      code: EXIT_CODE.usage,
      err: [expect.stringContaining('usage: npm run voices -- sync')],
    });
    expect(await run(['sync'], { ELEVEN_API_KEY: undefined })).toMatchObject({
      code: EXIT_CODE.config,
      err: [expect.stringContaining('ELEVEN_API_KEY is not set')],
    });
    expect(await run(['sync'], { ELEVEN_API_KEY: 'wrong' })).toMatchObject({
      code: EXIT_CODE.config,
      err: [expect.stringContaining('ELEVEN_API_KEY')],
    });
    expect(await run(['sync'], { DATABASE_URL: 'postgresql://postgres:postgres@127.0.0.1:9/x' })).toMatchObject({
      code: EXIT_CODE.unreachable,
      err: [expect.stringContaining('cannot reach the database at 127.0.0.1:9')],
    });
    expect(await run(['sync'], { ELEVENLABS_BASE_URL: 'http://127.0.0.1:9' })).toMatchObject({
      code: EXIT_CODE.unreachable,
      err: [expect.stringContaining('Could not reach the voice service')],
    });
  });

  it('ends within the connect deadline when the database accepts and then says nothing', async () => {
    const url = new URL(db.url);
    const proxy = await startTcpProxy({ host: url.hostname, port: Number(url.port) });
    try {
      await proxy.setMode({ kind: 'stall' });
      const started = Date.now();
      const result = await run(['sync'], { DATABASE_URL: proxy.rewrite(db.url) });
      expect(result.code).toBe(EXIT_CODE.unreachable);
      expect(result.err.join('\n')).toContain('cannot reach the database');
      expect(Date.now() - started).toBeLessThan(9_000);
    } finally {
      await proxy.close();
    }
  });

  it('without DATABASE_URL, uses the local stack on DEV_DB_PORT', async () => {
    const port = await freePort();
    expect(await run(['sync'], { DATABASE_URL: undefined, DEV_DB_PORT: String(port) })).toMatchObject({
      code: EXIT_CODE.unreachable,
      err: [expect.stringContaining(`cannot reach the database at 127.0.0.1:${port}`)],
    });
    expect(await run(['sync'], { DATABASE_URL: undefined, DEV_DB_PORT: 'abc' })).toMatchObject({
      code: EXIT_CODE.config,
      err: [expect.stringContaining("DEV_DB_PORT must be a TCP port (1-65535), got 'abc'")],
    });
  });
});
