// `npm run dev` starts one dispatcher against the local database. Local receivers usually run on
// http://localhost, so the dev stack allows http:// and private addresses (WEBHOOKS_ALLOW_HTTP=1,
// WEBHOOKS_ALLOW_PRIVATE=1) unless the environment says otherwise.
import { type ChildProcess, spawn } from 'node:child_process';
import path from 'node:path';
import { loadDispatcherEnv } from '../../dispatcher/env.ts';
import type { DevService } from '../dev_service.ts';

const MAIN = path.join(import.meta.dirname, '../../dispatcher/main.ts');
// Ctrl-C should stop the dev stack in seconds: deliveries still in flight are retried later.
const STOP_TIMEOUT_MS = 5_000;

export const DISPATCHER_DEV_SERVICE: DevService = {
  name: 'webhooks',
  async start({ databaseUrl, env }) {
    const childEnv = {
      WEBHOOKS_ALLOW_HTTP: '1',
      WEBHOOKS_ALLOW_PRIVATE: '1',
      ...env,
      DATABASE_URL: env.DATABASE_URL ?? databaseUrl,
    };
    let parsed;
    try {
      parsed = loadDispatcherEnv(childEnv);
    } catch (error) {
      return { skipped: error instanceof Error ? error.message : String(error) };
    }
    const child: ChildProcess = spawn(process.execPath, [MAIN], {
      env: childEnv,
      stdio: ['ignore', 'inherit', 'inherit'],
    });
    const local = parsed.WEBHOOKS_ALLOW_PRIVATE ? ', http and local addresses allowed' : '';
    return {
      summary: `dispatcher (pid ${child.pid}), ${parsed.WEBHOOKS_CONCURRENCY} deliveries at a time${local}`,
      stop: () => stopChild(child),
    };
  },
};

function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    // SIGTERM: attempts in flight finish (at most the HTTP timeout), then connections close.
    child.kill('SIGTERM');
  });
}
