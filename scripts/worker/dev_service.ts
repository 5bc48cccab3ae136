// `npm run dev` starts the worker against the local database when LiveKit is configured, and
// otherwise says exactly what to set. Locally: `livekit-server --dev` listens on
// ws://127.0.0.1:7880 with the key/secret devkey/secret.
import { type ChildProcess, spawn } from 'node:child_process';
import path from 'node:path';
import type { DevService } from '../dev_service.ts';
import { LIVEKIT_ENV_NAMES, loadWorkerEnv } from '../../agent/env.ts';

const MAIN = path.join(import.meta.dirname, '../../agent/main.ts');
const STOP_TIMEOUT_MS = 10_000;

export const WORKER_DEV_SERVICE: DevService = {
  name: 'worker',
  async start({ databaseUrl, env }) {
    const missingLiveKit = LIVEKIT_ENV_NAMES.filter((name) => !env[name]?.trim());
    if (missingLiveKit.length > 0) {
      return {
        skipped:
          `set ${missingLiveKit.join(', ')} to start the agent worker ` +
          '(local LiveKit: run `livekit-server --dev`, then LIVEKIT_URL=ws://127.0.0.1:7880 LIVEKIT_API_KEY=devkey LIVEKIT_API_SECRET=secret)',
      };
    }
    const workerEnv = { ...env, DATABASE_URL: env.DATABASE_URL ?? databaseUrl };
    let parsed;
    try {
      parsed = loadWorkerEnv(workerEnv);
    } catch (error) {
      return { skipped: error instanceof Error ? error.message : String(error) };
    }
    const child: ChildProcess = spawn(process.execPath, [MAIN, 'start'], {
      env: workerEnv,
      stdio: ['ignore', 'inherit', 'inherit'],
    });
    return {
      summary: `"${parsed.agentName}" on ${parsed.livekit.url}, health http://127.0.0.1:${parsed.port}/ (pid ${child.pid})`,
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
    // SIGTERM drains: the worker finishes its calls' records and stops its job processes.
    child.kill('SIGTERM');
  });
}
