// The worker: `npm run worker` (production: `node agent/main.ts start`). Wiring only: the call
// flow is in call/, the framework hooks in job.ts. Health: the framework's HTTP server on PORT
// (default 8081) answers GET / (200 when connected to LiveKit) and GET /worker (agent name).
import { cli, defineAgent, ServerOptions } from '@livekit/agents';
import { fileURLToPath } from 'node:url';
import { CONFIG_EXIT_CODE, loadWorkerEnv } from './env.ts';
import { entry, prewarm } from './job.ts';

export default defineAgent({ prewarm, entry });

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  let env;
  try {
    env = loadWorkerEnv();
  } catch (error) {
    console.error(`worker: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(CONFIG_EXIT_CODE);
  }
  cli.runApp(
    new ServerOptions({
      agent: fileURLToPath(import.meta.url),
      agentName: env.agentName,
      port: env.port,
      wsURL: env.livekit.url,
      apiKey: env.livekit.apiKey,
      apiSecret: env.livekit.apiSecret,
    }),
  );
}
