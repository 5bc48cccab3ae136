// `npm run dev` service: the edge functions at http://127.0.0.1:54321/functions/v1/<name>, like
// Supabase's local stack, served by Deno (supabase/functions/_dev/dev_server.ts). Env comes
// from supabase/functions/.env (gitignored), then the shell. Without ELEVEN_API_KEY the
// ElevenLabs fake stands in, so previews work offline (a tone instead of a voice).
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { parseEnv } from 'node:util';
import { devFunctionsPort } from '../../shared/dev_stack.ts';
import { type ElevenLabsFake, startElevenLabsFake } from '../../test/fakes/elevenlabs.ts';
import { PROJECT_ROOT } from '../db/migrate.ts';
import type { DevService } from '../dev_service.ts';
import { DENO_ENV, denoBinary } from './deno_binary.ts';
import { prefetchFunctionDependencies } from './deno_prefetch.ts';

/** Supabase's local-stack JWT secret; `npm run functions:token` signs with it. */
export const DEV_JWT_SECRET = 'super-secret-jwt-token-with-at-least-32-characters-long';
const ENV_FILE = path.join(PROJECT_ROOT, 'supabase/functions/.env');
const SERVER = 'supabase/functions/_dev/dev_server.ts';
const START_TIMEOUT_MS = 30_000;

export const FUNCTIONS_DEV_SERVICE: DevService = {
  name: 'functions',
  async start({ databaseUrl, env }) {
    const port = devFunctionsPort(env);
    const childEnv: Record<string, string> = { ...readEnvFile(ENV_FILE), ...definedOnly(env) };
    let fake: ElevenLabsFake | undefined;
    if (!childEnv.ELEVEN_API_KEY) {
      fake = await startElevenLabsFake();
      childEnv.ELEVEN_API_KEY = fake.apiKey;
      childEnv.ELEVENLABS_BASE_URL = fake.apiBaseUrl;
    }
    Object.assign(childEnv, DENO_ENV, {
      SUPABASE_DB_URL: childEnv.SUPABASE_DB_URL ?? databaseUrl,
      SUPABASE_URL: childEnv.SUPABASE_URL ?? `http://127.0.0.1:${port}`,
      JWT_SECRET: childEnv.JWT_SECRET ?? DEV_JWT_SECRET,
      FUNCTIONS_PORT: String(port),
      FUNCTIONS_EXIT_WITH_PARENT: '1',
      // Local receivers run on http://localhost: the webhooks function accepts them in dev only.
      WEBHOOKS_ALLOW_HTTP: childEnv.WEBHOOKS_ALLOW_HTTP ?? '1',
      WEBHOOKS_ALLOW_PRIVATE: childEnv.WEBHOOKS_ALLOW_PRIVATE ?? '1',
    });
    try {
      const fetched = await prefetchFunctionDependencies({
        env: childEnv,
        report: (line) => console.log(`functions: ${line}`),
      });
      if (fetched.downloads > 0)
        console.log(`functions: fetched ${fetched.downloads} Deno downloads in ${(fetched.ms / 1000).toFixed(1)} s`);
    } catch (error) {
      await fake?.close();
      throw error;
    }
    const child = spawn(denoBinary(), ['run', '--allow-net', '--allow-env', '--allow-read', '--allow-sys', SERVER], {
      cwd: PROJECT_ROOT,
      env: childEnv,
      stdio: ['pipe', 'pipe', 'pipe'], // stdin stays open: it closes when we die, and Deno follows
    });
    const ready = await waitForListening(child);
    if (!ready.ok) {
      child.kill('SIGTERM');
      await fake?.close();
      throw new Error(ready.reason);
    }
    const loaded = ready.lines
      .filter((l) => l.includes(' ready'))
      .map((l) => l.replace(/^functions: /, '').replace(/ ready$/, ''));
    const failed = ready.lines.filter((l) => l.includes('failed to load'));
    const parts = [`http://127.0.0.1:${port}/functions/v1/<name> (${loaded.join(', ') || 'no functions'})`];
    if (failed.length > 0) parts.push(`; NOT loaded: ${failed.map((l) => l.replace(/^functions: /, '')).join('; ')}`);
    if (fake) parts.push(`; ElevenLabs: fake at ${fake.baseUrl} (set ELEVEN_API_KEY for real voices)`);
    return {
      summary: parts.join(''),
      async stop() {
        if (child.exitCode === null) {
          child.kill('SIGTERM');
          await new Promise((resolve) => child.once('exit', resolve));
        }
        await fake?.close();
      },
    };
  },
};

/** Forwards the child's output (prefixed) and resolves once the server listens. */
function waitForListening(child: ChildProcess): Promise<{ ok: true; lines: string[] } | { ok: false; reason: string }> {
  return new Promise((resolve) => {
    const lines: string[] = [];
    let settled = false;
    const finish = (result: { ok: true; lines: string[] } | { ok: false; reason: string }) => {
      if (!settled) {
        settled = true;
        clearTimeout(timer);
        resolve(result);
      }
    };
    const timer = setTimeout(
      () => finish({ ok: false, reason: `Deno did not start listening within ${START_TIMEOUT_MS} ms` }),
      START_TIMEOUT_MS,
    );
    const onData = (chunk: Buffer) => {
      for (const line of chunk.toString().split('\n').filter(Boolean)) {
        if (settled) console.log(line.startsWith('functions:') ? line : `functions: ${line}`);
        else lines.push(line);
        if (line.includes('functions: listening on')) finish({ ok: true, lines });
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.on('exit', (code) =>
      finish({ ok: false, reason: `Deno exited with code ${code}: ${lines.slice(-3).join(' | ')}` }),
    );
    child.on('error', (error) => finish({ ok: false, reason: error.message }));
  });
}

function definedOnly(env: NodeJS.ProcessEnv): Record<string, string> {
  return Object.fromEntries(
    Object.entries(env).filter((entry): entry is [string, string] => typeof entry[1] === 'string' && entry[1] !== ''),
  );
}

/** The file `supabase functions serve --env-file` reads, parsed by Node's own .env parser. */
export function readEnvFile(file: string): Record<string, string> {
  if (!existsSync(file)) return {};
  return Object.fromEntries(
    Object.entries(parseEnv(readFileSync(file, 'utf8'))).filter(
      (entry): entry is [string, string] => typeof entry[1] === 'string',
    ),
  );
}
