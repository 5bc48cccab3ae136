// `npm run call -- --to +15551234567 [--from +15559870000]`: the real call flow (runCall) for
// that dialed number as a text conversation in the terminal. Type what the caller says; the
// agent's replies are printed. Config comes from DATABASE_URL / Supabase, else the local stack
// (`npm run dev`); the LLM is OpenAI (OPENAI_API_KEY). Ctrl-D or "bye" ends the call.
import { initializeLogger, log, voice } from '@livekit/agents';
import { createInterface } from 'node:readline/promises';
import { parseArgs } from 'node:util';
import { toE164 } from '../shared/phone.ts';
import type { CallControls } from '../agent/call/call_controls.ts';
import { type CallInfo, runCall } from '../agent/call/run_call.ts';
import { createCallStore, createConfigSource } from '../agent/config/create_config_source.ts';
import { loadTextCallEnv } from '../agent/env.ts';
import { textProviders } from '../agent/testing/text_providers.ts';
import { EXIT_CODE } from './exit_code.ts';

async function main(): Promise<number> {
  let args;
  try {
    args = parseArgs({ options: { to: { type: 'string' }, from: { type: 'string' }, verbose: { type: 'boolean' } } }).values;
  } catch (error) {
    console.error(`call: ${(error as Error).message}. Usage: npm run call -- --to +15551234567 [--from +15559870000]`);
    return EXIT_CODE.usage;
  }
  const dialed = args.to ? toE164(args.to) : null;
  if (!dialed) {
    console.error('call: pass the dialed number as E.164, e.g. npm run call -- --to +15551234567');
    return EXIT_CODE.usage;
  }
  let env;
  try {
    env = loadTextCallEnv();
  } catch (error) {
    console.error(`call: ${(error as Error).message}`);
    return EXIT_CODE.config;
  }
  initializeLogger({ pretty: false, level: args.verbose ? 'info' : 'error' });
  const configSource = createConfigSource(env.backend, { reconcileIntervalMs: 0 });
  const callStore = createCallStore(env.backend);
  await configSource.start();
  if (env.usingDevDatabase) console.log('call: no DATABASE_URL set; using the local stack database (npm run dev)');

  const controls: CallControls = {
    hangUp: async () => console.log('[the agent hung up]'),
    transfer: async (e164) => console.log(`[transferring the caller to ${e164}]`),
  };
  const info: CallInfo = {
    roomName: `text-call-${Date.now()}`,
    callId: null,
    dialedNumber: dialed,
    callerNumber: args.from ? toE164(args.from) : '+15550000000',
    trunkId: null,
    dispatchRuleId: null,
  };
  const call = await runCall(info, {
    configSource,
    callStore,
    providers: textProviders({ openaiApiKey: env.openaiApiKey, ...(env.openaiBaseUrl ? { openaiBaseUrl: env.openaiBaseUrl } : {}) }),
    controls,
    logger: log(),
  });
  const config = call.currentConfig();
  console.log(config ? `call: ${dialed} is answered by "${config.name}" (version ${config.version}, ${call.callConfig.origin})` : `call: ${dialed} is not answered by any agent config`);
  // The greeting may already be in the history; everything after it is printed as it comes.
  for (const item of call.session.history.items) {
    if (item.type === 'message' && item.role === 'assistant' && item.textContent) console.log(`agent> ${item.textContent}`);
  }
  call.session.on(voice.AgentSessionEventTypes.ConversationItemAdded, (ev) => {
    if (ev.item.type === 'message' && ev.item.role === 'assistant' && ev.item.textContent) console.log(`agent> ${ev.item.textContent}`);
  });

  const rl = createInterface({ input: process.stdin, output: process.stdout, terminal: process.stdin.isTTY });
  let ended = false;
  const finished = call.finished.then((outcome) => {
    ended = true;
    console.log(`call: ended (${outcome.reason})`);
    rl.close();
    return outcome;
  });
  rl.on('close', () => {
    if (!ended) void call.end('caller_hangup');
  });
  try {
    for (;;) {
      const line = await rl.question('caller> ').catch(() => null);
      if (line === null || ended) break;
      if (!line.trim()) continue;
      await call.session.run({ userInput: line }).wait().catch(() => {});
    }
  } catch {
    // stdin closed
  }
  if (!ended) await call.end('caller_hangup');
  await finished;
  await configSource.close();
  await callStore.close?.();
  return EXIT_CODE.ok;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(`call: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(EXIT_CODE.failures);
  },
);
