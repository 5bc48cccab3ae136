// `npm run call` as an operator runs it: the real call flow for a dialed number on the real
// database, typed caller turns in, the agent's replies out.
import { spawn, spawnSync } from 'node:child_process';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedAgent } from '../agent/config/_test_fixtures.ts';
import { createTestDatabase, type TestDatabase } from '../test/db/harness.ts';
import { type FakeOpenAI, startFakeOpenAI } from '../test/fakes/openai.ts';

const SCRIPT = path.join(import.meta.dirname, 'call.ts');
let db: TestDatabase;
let openai: FakeOpenAI;

beforeAll(async () => {
  [db, openai] = await Promise.all([createTestDatabase(), startFakeOpenAI()]);
});
afterAll(() => Promise.all([db.close(), openai.close()]));

function run(args: string[], env: Record<string, string>, input: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [SCRIPT, ...args], { env: { PATH: process.env.PATH, ...env } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('exit', (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(input);
  });
}

describe('npm run call', () => {
  it("talks to the number's agent: greeting, a typed turn, the reply", async () => {
    const agent = await seedAgent(db, { prompt: 'You answer for Acme Plumbing.' });
    openai.setScript((req) => ({ text: req.lastUser === 'Do you fix leaks?' ? 'Yes, we fix leaks.' : 'Okay.' }));
    const result = await run(['--to', agent.e164], { OPENAI_API_KEY: openai.apiKey, OPENAI_BASE_URL: openai.baseUrl, DATABASE_URL: db.url }, 'Do you fix leaks?\n');
    expect(result.stderr).toBe('');
    expect(result.stdout).toContain('is answered by "Front desk" (version 1');
    expect(result.stdout).toContain('agent> Hello!');
    expect(result.stdout).toContain('agent> Yes, we fix leaks.');
    expect(result.stdout).toContain('call: ended (caller_hangup)');
    expect(result.code).toBe(0);
  });

  it('says to set OPENAI_API_KEY when it is missing', () => {
    const result = spawnSync(process.execPath, [SCRIPT, '--to', '+15551234567'], { env: { PATH: process.env.PATH }, encoding: 'utf8' });
    expect(result.status).toBe(3);
    expect(result.stderr.trim()).toMatch(/^call: missing or invalid environment variables: OPENAI_API_KEY \(required: .*export OPENAI_API_KEY=sk-\.\.\.\)$/);
  });

  it('asks for the dialed number', () => {
    const result = spawnSync(process.execPath, [SCRIPT], { env: { PATH: process.env.PATH }, encoding: 'utf8' });
    expect(result.status).toBe(2);
    expect(result.stderr).toContain('npm run call -- --to +15551234567');
  });
});
