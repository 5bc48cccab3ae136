// The worker: `npm run worker` (production: `node agent/main.ts start`). Wiring only: the call
// flow is in call/, the framework hooks in job.ts. Health: the framework's HTTP server on PORT
// (default 8081) answers GET / (200 when connected to LiveKit) and GET /worker (agent name).
import { cli, defineAgent, ServerOptions } from '@livekit/agents';
import { fileURLToPath } from 'node:url';
import { createCallStore } from './config/create_config_source.ts';
import { CONFIG_EXIT_CODE, loadWorkerEnv } from './env.ts';
import { hostServerOptions } from './host/host_load.ts';
import { startWorkerHub } from './host/start_hub.ts';
import { entry, prewarm } from './job.ts';
import { CallSweep } from './store/call_sweep.ts';

export default defineAgent({ prewarm, entry });

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  let env;
  try {
    env = loadWorkerEnv();
  } catch (error) {
    console.error(`worker: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(CONFIG_EXIT_CODE);
  }
  // The host's one owner of database access (agent/host/): job processes forked from here on
  // inherit WORKER_HUB_SOCKET and reach the config cache and the call-record writer through it.
  const { dbTimeoutMs } = env.callRecords;
  const hub = env.host.hub
    ? await startWorkerHub({
        backend: env.backend,
        socketPath: env.host.hubSocket ?? undefined,
        dbTimeoutMs,
        reconcileIntervalMs: env.host.reconcileIntervalMs,
      })
    : null;
  process.env.WORKER_HUB_SOCKET = hub?.socketPath ?? ''; // blank (no hub): job processes connect themselves
  cli.runApp(
    new ServerOptions({
      agent: fileURLToPath(import.meta.url),
      agentName: env.agentName,
      port: env.port,
      wsURL: env.livekit.url,
      apiKey: env.livekit.apiKey,
      apiSecret: env.livekit.apiSecret,
      ...hostServerOptions(env.host),
    }),
  );
  // Closes the rows of calls whose job process died (agent/store/call_sweep.ts). Main, not the
  // one-shot job processes: it lives as long as the worker. One connection, inside this guard,
  // because the module's top level runs again in every job process.
  const { lostAfterMs, sweepIntervalMs } = env.callRecords;
  if (sweepIntervalMs > 0) {
    const store = hub?.callStore ?? createCallStore(env.backend, { timeoutMs: dbTimeoutMs, poolSize: 1 });
    new CallSweep(store, { lapseMs: lostAfterMs, intervalMs: sweepIntervalMs }).start();
  }
}
