// `npm run call` as an operator runs it: the real script (node scripts/call.ts) on the real
// database and the OpenAI fake, caller turns through a pipe on stdin, the agent's replies out.
// Every conversation must end by itself with exit code 0: at end of input, when the agent
// hangs up, and when no config answers the number.
import { type ChildProcessWithoutNullStreams, spawn, spawnSync } from 'node:child_process';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedAgent, testNumber } from '../agent/config/_test_fixtures.ts';
import { UNKNOWN_NUMBER_MESSAGE } from '../agent/call/fallback.ts';
import { EXIT_CODE } from './exit_code.ts';
import { createTestDatabase, type TestDatabase } from '../test/db/harness.ts';
import { type FakeOpenAI, startFakeOpenAI } from '../test/fakes/openai.ts';

const SCRIPT = path.join(import.meta.dirname, 'call.ts');
/** How long the script may take to end by itself once it should. */
const EXIT_DEADLINE_MS = 15_000;

let db: TestDatabase;
let openai: FakeOpenAI;

beforeAll(async () => {
  [db, openai] = await Promise.all([createTestDatabase(), startFakeOpenAI()]);
});
afterAll(() => Promise.all([db.close(), openai.close()]));

interface Run {
  child: ChildProcessWithoutNullStreams;
  stdout(): string;
  /** Resolves once `text` has been printed; rejects after the deadline. */
  printed(text: string): Promise<void>;
  /** Resolves when the process exits; kills it and reports `timedOut` after the deadline. */
  exited(): Promise<{ code: number | null; timedOut: boolean; stdout: string; stderr: string }>;
}

function start(args: string[], env: Record<string, string> = {}): Run {
  const child = spawn(process.execPath, [SCRIPT, ...args], {
    env: {
      PATH: process.env.PATH,
      OPENAI_API_KEY: openai.apiKey,
      OPENAI_BASE_URL: openai.baseUrl,
      DATABASE_URL: db.url,
      ...env,
    },
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const exit = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return {
    child,
    stdout: () => stdout,
    printed: (text) =>
      new Promise((resolve, reject) => {
        const timer = setTimeout(
          () => reject(new Error(`not printed within ${EXIT_DEADLINE_MS} ms: ${text}\n${stdout}\n${stderr}`)),
          EXIT_DEADLINE_MS,
        );
        const check = () => {
          if (!stdout.includes(text)) return;
          clearTimeout(timer);
          child.stdout.off('data', check);
          resolve();
        };
        child.stdout.on('data', check);
        check();
      }),
    exited: async () => {
      let timedOut = false;
      const timer = setTimeout(() => {
        timedOut = true;
        child.kill('SIGKILL');
      }, EXIT_DEADLINE_MS);
      const code = await exit;
      clearTimeout(timer);
      return { code, timedOut, stdout, stderr };
    },
  };
}

describe('npm run call', () => {
  it("talks to the number's agent and ends at end of input, after the pending reply", async () => {
    const agent = await seedAgent(db, { prompt: 'You answer for Acme Plumbing.' });
    openai.setScript((req) => ({ text: req.lastUser === 'Do you fix leaks?' ? 'Yes, we fix leaks.' : 'Okay.' }));
    // The whole input arrives at once and the pipe closes straight away, as with
    // `printf 'Do you fix leaks?\n' | npm run call -- --to ...`.
    const run = start(['--to', agent.e164]);
    run.child.stdin.end('Do you fix leaks?\n');
    const result = await run.exited();
    expect(result).toMatchObject({ code: 0, timedOut: false, stderr: '' });
    expect(result.stdout).toContain('is answered by "Front desk" (version 1');
    expect(result.stdout).toContain('agent> Hello!');
    expect(result.stdout).toContain('agent> Yes, we fix leaks.');
    expect(result.stdout.indexOf('agent> Yes, we fix leaks.')).toBeLessThan(
      result.stdout.indexOf('call: ended (caller_hangup)'),
    );
  });

  it('answers every typed line before ending at end of input', async () => {
    const agent = await seedAgent(db);
    openai.setScript((req) => ({ text: `You said: ${req.lastUser}` }));
    const run = start(['--to', agent.e164]);
    run.child.stdin.end('one\ntwo\nthree\n');
    const result = await run.exited();
    expect(result).toMatchObject({ code: 0, timedOut: false });
    for (const word of ['one', 'two', 'three']) expect(result.stdout).toContain(`agent> You said: ${word}`);
    expect(result.stdout).toContain('call: ended (caller_hangup)');
  });

  it('ends when the input closes with no turn typed', async () => {
    const agent = await seedAgent(db);
    const run = start(['--to', agent.e164]);
    await run.printed('agent> Hello!');
    run.child.stdin.end();
    expect(await run.exited()).toMatchObject({ code: 0, timedOut: false });
  });

  it('ends by itself when the agent hangs up, with the input still open', async () => {
    const agent = await seedAgent(db);
    openai.setScript((req) =>
      req.lastUser === 'Bye' && req.lastToolOutput === null
        ? { toolCalls: [{ name: 'end_call', args: {} }] }
        : { text: 'Goodbye, have a great day!' },
    );
    const run = start(['--to', agent.e164]);
    await run.printed('agent> Hello!');
    run.child.stdin.write('Bye\n');
    const result = await run.exited();
    run.child.stdin.destroy();
    expect(result).toMatchObject({ code: 0, timedOut: false, stderr: '' });
    expect(result.stdout).toContain('agent> Goodbye, have a great day!');
    expect(result.stdout).toContain('call: ended (agent_hangup)');
  });

  it('says that no agent config answers an unknown number and ends, with the input still open', async () => {
    const unknown = testNumber();
    const run = start(['--to', unknown]);
    const result = await run.exited();
    run.child.stdin.destroy();
    expect(result).toMatchObject({ code: 0, timedOut: false, stderr: '' });
    expect(result.stdout).toContain(`call: no agent config answers ${unknown}`);
    expect(result.stdout).toContain(`agent> ${UNKNOWN_NUMBER_MESSAGE}`);
    expect(result.stdout).toContain('call: ended (unknown_number)');
    expect(result.stdout).not.toContain('caller>');
  });

  it('says to set OPENAI_API_KEY when it is missing', () => {
    const result = spawnSync(process.execPath, [SCRIPT, '--to', '+15551234567'], {
      env: { PATH: process.env.PATH },
      encoding: 'utf8',
      timeout: EXIT_DEADLINE_MS,
    });
    expect(result.status).toBe(3);
    expect(result.stderr.trim()).toMatch(
      /^call: missing or invalid environment variables: OPENAI_API_KEY \(required: .*export OPENAI_API_KEY=sk-\.\.\.\)$/,
    );
  });

  it('asks for the dialed number', () => {
    const result = spawnSync(process.execPath, [SCRIPT], {
      env: { PATH: process.env.PATH },
      encoding: 'utf8',
      timeout: EXIT_DEADLINE_MS,
    });
    expect(result.status).toBe(EXIT_CODE.usage);
    expect(result.stderr).toContain('npm run call -- --to +15551234567');
  });
});
