// The worker process as operators run it: bad env -> one line and exit 3; good env -> the
// framework's health server on PORT reports the shared agent name.
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { DEFAULT_AGENT_NAME } from '../shared/agent_name.ts';
import { freePort } from '../scripts/db/embedded.ts';

const MAIN = path.join(import.meta.dirname, 'main.ts');
const BASE_ENV = {
  PATH: process.env.PATH,
  LIVEKIT_URL: 'ws://127.0.0.1:1',
  LIVEKIT_API_KEY: 'devkey',
  LIVEKIT_API_SECRET: 'secret',
  OPENAI_API_KEY: 'sk-x',
  DEEPGRAM_API_KEY: 'dg-x',
  ELEVEN_API_KEY: 'el-x',
  DATABASE_URL: 'postgresql://postgres:postgres@127.0.0.1:1/none',
};

let child: ChildProcess | undefined;
afterEach(async () => {
  // SIGTERM lets the worker stop its job and inference processes too (SIGKILL would orphan them).
  if (child && child.exitCode === null) {
    const exited = new Promise((resolve) => child!.once('exit', resolve));
    child.kill('SIGTERM');
    await exited;
  }
  child = undefined;
});

describe('the worker process', () => {
  it('exits 3 with one line naming the missing variables', () => {
    const result = spawnSync(process.execPath, [MAIN, 'start'], {
      env: { PATH: process.env.PATH, OPENAI_API_KEY: 'sk-x' },
      encoding: 'utf8',
      timeout: 20_000,
    });
    expect(result.status).toBe(3);
    const lines = result.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^worker: missing or invalid environment variables: LIVEKIT_URL .*ELEVEN_API_KEY/);
    expect(lines[0]).not.toContain('sk-x');
  });

  it('serves health on PORT and registers under the shared agent name', async () => {
    const port = await freePort();
    child = spawn(process.execPath, [MAIN, 'start'], { env: { ...BASE_ENV, PORT: String(port) }, stdio: 'ignore' });
    const worker = await poll(`http://127.0.0.1:${port}/worker`);
    expect(await worker.json()).toMatchObject({ agent_name: DEFAULT_AGENT_NAME, sdk_version: '1.9.0' });
    // Not connected to LiveKit (nothing listens on the URL): the liveness check says so.
    const health = await fetch(`http://127.0.0.1:${port}/`);
    expect(health.status).toBe(503);
    expect(await health.text()).toBe('not connected to livekit');
  });
});

async function poll(url: string, timeoutMs = 20_000): Promise<Response> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await fetch(url);
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
}
