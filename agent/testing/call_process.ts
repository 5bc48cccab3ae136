// A call in a process of its own, for tests that kill the process running a call: the real call
// flow (runCall with the Postgres config source and call store, the durable write queue and the
// heartbeat) in text mode, as a job process runs it. It prints {"recorded": <row id>} once the
// calls row is written, then keeps the call live until it is killed.
//   node agent/testing/call_process.ts '<CallProcessInput as JSON>'
import { initializeLogger, log } from '@livekit/agents';
import { liveKitCallControls } from '../call/call_controls.ts';
import type { CallInfo } from '../call/call_info.ts';
import { runCall } from '../call/run_call.ts';
import { createCallStore, createConfigSource } from '../config/create_config_source.ts';
import { DurableWrites } from '../store/durable_writes.ts';
import { textProviders } from '../call/text_providers.ts';

export interface CallProcessInput {
  databaseUrl: string;
  info: CallInfo;
  livekit: { url: string; apiKey: string; apiSecret: string };
  openai: { apiKey: string; baseUrl: string };
  heartbeatIntervalMs: number;
}

async function main(input: CallProcessInput): Promise<void> {
  initializeLogger({ pretty: false, level: 'error' });
  const backend = { kind: 'postgres' as const, databaseUrl: input.databaseUrl };
  const configSource = createConfigSource(backend, { reconcileIntervalMs: 0 });
  await configSource.start();
  const controls = liveKitCallControls({
    api: input.livekit,
    roomName: input.info.roomName,
    participantIdentity: 'caller',
  });
  const call = await runCall(
    input.info,
    {
      configSource,
      callStore: createCallStore(backend),
      callWrites: new DurableWrites(),
      providers: textProviders({ openaiApiKey: input.openai.apiKey, openaiBaseUrl: input.openai.baseUrl }),
      controls,
      logger: log(),
    },
    { callRecord: { heartbeatIntervalMs: input.heartbeatIntervalMs } },
  );
  process.stdout.write(`${JSON.stringify({ recorded: await call.recorded })}\n`);
  setInterval(() => {}, 60_000); // the call stays live until the process is killed
}

void main(JSON.parse(process.argv[2]!) as CallProcessInput);
