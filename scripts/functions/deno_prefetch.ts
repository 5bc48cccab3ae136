// Fetches what the edge functions import into Deno's cache before the gateway starts, so a cold
// cache (a fresh machine) is filled once under a deadline meant for downloading, not inside the
// gateway's start timeout, which is meant for a warm start. While it runs it says what it is
// fetching and for how long. Only the import map's packages are fetched (DENO_ENV sets
// DENO_NO_PACKAGE_JSON): the root package.json lists the whole Node stack.
import { spawn } from 'node:child_process';
import { readdirSync, existsSync } from 'node:fs';
import path from 'node:path';
import { PROJECT_ROOT } from '../db/migrate.ts';
import { DENO_ENV, denoBinary } from './deno_binary.ts';

const FUNCTIONS_DIR = path.join(PROJECT_ROOT, 'supabase/functions');
const DEFAULT_DEADLINE_MS = 5 * 60_000;
const PROGRESS_EVERY_MS = 5_000;

export interface PrefetchOptions {
  env: Record<string, string>;
  /** Called with one human line at a time. */
  report(line: string): void;
  /** Whole-prefetch deadline. Default 5 minutes. */
  deadlineMs?: number;
}

/** Every module the gateway may load: itself and each function's entry. */
export function functionEntryPoints(): string[] {
  const entries = [path.join(FUNCTIONS_DIR, '_dev/dev_server.ts')];
  for (const name of readdirSync(FUNCTIONS_DIR).sort()) {
    const entry = path.join(FUNCTIONS_DIR, name, 'index.ts');
    if (!name.startsWith('_') && existsSync(entry)) entries.push(entry);
  }
  return entries;
}

/** `deno cache --frozen` on the entry points; rejects with Deno's own words on failure. */
export function prefetchFunctionDependencies(options: PrefetchOptions): Promise<{ downloads: number; ms: number }> {
  const started = Date.now();
  const deadlineMs = options.deadlineMs ?? DEFAULT_DEADLINE_MS;
  const args = ['cache', '--frozen', ...functionEntryPoints().map((entry) => path.relative(PROJECT_ROOT, entry))];
  const child = spawn(denoBinary(), args, {
    cwd: PROJECT_ROOT,
    env: { ...options.env, ...DENO_ENV },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let downloads = 0;
  let last = '';
  const tail: string[] = [];
  const onData = (chunk: Buffer) => {
    for (const line of chunk.toString().split('\n').filter(Boolean)) {
      tail.push(line);
      if (tail.length > 5) tail.shift();
      const fetched = /^Download\s+(\S+)/.exec(line);
      if (!fetched) continue;
      if (downloads === 0) options.report("fetching the functions' Deno dependencies (first start only) ...");
      downloads++;
      last = fetched[1]!.replace(/^https?:\/\/[^/]+\//, '');
    }
  };
  child.stdout.on('data', onData);
  child.stderr.on('data', onData);
  const progress = setInterval(() => {
    const seconds = Math.round((Date.now() - started) / 1000);
    options.report(
      `still fetching Deno dependencies: ${downloads} downloads, ${seconds} s (last: ${last || 'resolving'})`,
    );
  }, PROGRESS_EVERY_MS);
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGTERM');
      reject(
        new Error(
          `Deno could not fetch the functions' dependencies within ${Math.round(deadlineMs / 1000)} s (${downloads} downloads; last: ${last || 'none'}). Check that the npm registry is reachable, then run npm run dev again.`,
        ),
      );
    }, deadlineMs);
    const finish = () => {
      clearTimeout(timer);
      clearInterval(progress);
    };
    child.once('error', (error) => {
      finish();
      reject(error);
    });
    child.once('exit', (code) => {
      finish();
      if (code === 0) resolve({ downloads, ms: Date.now() - started });
      else reject(new Error(`Deno could not fetch the functions' dependencies (exit ${code}): ${tail.join(' | ')}`));
    });
  });
}
