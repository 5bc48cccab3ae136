// `npm run call -- --to +15551234567 [--from +15559870000]`: the real call flow (runCall) for
// that dialed number as a text conversation in the terminal. Type what the caller says; the
// agent's replies are printed. Config comes from DATABASE_URL / Supabase, else the local stack
// (`npm run dev`, DEV_DB_PORT); the LLM is OpenAI (OPENAI_API_KEY, OPENAI_BASE_URL for any Chat
// Completions server). The call ends by itself, exit code 0: Ctrl-D or the end of piped input
// hangs up once the pending reply is printed; the agent may hang up (end_call, silence, the time
// limit); a number no config answers hears that it is not in service. Ctrl-C hangs up too.
import { initializeLogger, type llm, log, voice } from '@livekit/agents';
import { clearLine, createInterface, cursorTo } from 'node:readline';
import { parseArgs } from 'node:util';
import { withTimeout } from '../shared/deadline.ts';
import { toE164 } from '../shared/phone.ts';
import type { CallControls } from '../agent/call/call_controls.ts';
import { type CallInfo, type CallOutcome, type RunningCall, runCall } from '../agent/call/run_call.ts';
import { createCallStore, createConfigSource } from '../agent/config/create_config_source.ts';
import { loadTextCallEnv } from '../agent/env.ts';
import { textProviders } from '../agent/call/text_providers.ts';
import { EXIT_CODE } from './exit_code.ts';

const USAGE = 'npm run call -- --to +15551234567 [--from +15559870000]';
/** How long the call may take to end once it should: a farewell may take 10 s to play. */
const END_TIMEOUT_MS = 15_000;
/** How long closing the database connections may take. */
const CLOSE_TIMEOUT_MS = 5_000;
/** How long the process may linger once everything is closed. */
const EXIT_GRACE_MS = 2_000;

async function main(): Promise<number> {
  let args;
  try {
    args = parseArgs({
      options: { to: { type: 'string' }, from: { type: 'string' }, verbose: { type: 'boolean' } },
    }).values;
  } catch (error) {
    console.error(`call: ${(error as Error).message}. Usage: ${USAGE}`);
    return EXIT_CODE.usage;
  }
  const dialed = args.to ? toE164(args.to) : null;
  if (!dialed) {
    console.error(`call: pass the dialed number as E.164, e.g. ${USAGE}`);
    return EXIT_CODE.usage;
  }
  const caller = args.from ? toE164(args.from) : '+15550000000';
  if (!caller) {
    console.error(`call: --from must be a phone number in E.164, e.g. ${USAGE}`);
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
  if (env.usingDevDatabase) console.log('call: no DATABASE_URL set; using the local stack database (npm run dev)');

  // Both hold database connections (the config source also LISTENs): the process cannot end
  // until they are closed, however the call ends.
  const configSource = createConfigSource(env.backend, { reconcileIntervalMs: 0 });
  const callStore = createCallStore(env.backend);
  try {
    await configSource.start();
    const controls: CallControls = {
      // runCall hangs up however the call ended (a real call deletes the room); who ended it is
      // printed with the outcome.
      hangUp: async () => {},
      transfer: async (e164) => console.log(`[transferring the caller to ${e164}]`),
    };
    const info: CallInfo = {
      roomName: `text-call-${Date.now()}`,
      callId: null,
      dialedNumber: dialed,
      callerNumber: caller,
      trunkId: null,
      dispatchRuleId: null,
    };
    const call = await runCall(info, {
      configSource,
      callStore,
      providers: textProviders({
        openaiApiKey: env.openaiApiKey,
        ...(env.openaiBaseUrl ? { openaiBaseUrl: env.openaiBaseUrl } : {}),
      }),
      controls,
      logger: log(),
    });
    describeAnswer(call, dialed);
    const output: Output = { line: (text) => console.log(text) };
    printReplies(call, output);
    // An unknown number is told so and hung up on by runCall itself: nothing to type.
    const outcome = call.callConfig.kind === 'unknown' ? await callEnded(call) : await converse(call, output);
    console.log(`call: ended (${outcome.reason})`);
    return EXIT_CODE.ok;
  } finally {
    await Promise.allSettled([
      withDeadline(configSource.close(), CLOSE_TIMEOUT_MS, 'closing the config source'),
      withDeadline(callStore.close?.() ?? Promise.resolve(), CLOSE_TIMEOUT_MS, 'closing the call store'),
    ]);
  }
}

function describeAnswer(call: RunningCall, dialed: string): void {
  const answer = call.callConfig;
  if (answer.kind === 'unknown') {
    console.log(
      `call: no agent config answers ${dialed} (${answer.reason}); the caller hears that it is not in service`,
    );
    return;
  }
  const config = answer.config;
  console.log(`call: ${dialed} is answered by "${config.name}" (version ${config.version}, ${answer.origin})`);
  if (answer.origin === 'default') {
    console.log(
      'call: the config database did not answer, so the generic receptionist answers, as on a real call (is npm run dev running? is DATABASE_URL right?)',
    );
  }
}

/** Where the agent's lines go; in a terminal they must not land after the caller's prompt. */
interface Output {
  line(text: string): void;
}

/** Prints every assistant message: the greeting may already be in the history, the rest as it comes. */
function printReplies(call: RunningCall, output: Output): void {
  const print = (item: llm.ChatItem) => {
    if (item.type === 'message' && item.role === 'assistant' && item.textContent)
      output.line(`agent> ${item.textContent}`);
  };
  for (const item of call.session.history.items) print(item);
  call.session.on(voice.AgentSessionEventTypes.ConversationItemAdded, (ev) => print(ev.item));
}

/**
 * Feeds stdin to the agent one line at a time, each after the previous reply, until the input
 * ends (then the caller hangs up) or the call ends on the agent's side.
 */
async function converse(call: RunningCall, output: Output): Promise<CallOutcome> {
  const tty = process.stdin.isTTY === true;
  const rl = createInterface({
    input: process.stdin,
    ...(tty ? { output: process.stdout, terminal: true, prompt: 'caller> ' } : { terminal: false }),
  });
  let waiting = false;
  if (tty) {
    // A line that arrives while the prompt is shown (the greeting, a silence reminder) replaces
    // the prompt, which is shown again below it.
    output.line = (text) => {
      clearLine(process.stdout, 0);
      cursorTo(process.stdout, 0);
      console.log(text);
      if (waiting) rl.prompt(true);
    };
  }
  // In a terminal readline takes Ctrl-C as a key, so it arrives here rather than as a signal.
  const hangUp = () => void call.end('caller_hangup');
  rl.on('SIGINT', hangUp);
  process.on('SIGINT', hangUp);
  const ended = call.finished.then(() => 'ended' as const);
  // The iterator buffers piped lines that arrive while a reply is pending, and ends when the
  // interface closes. readline's question() drops such lines, and a pending question() never
  // settles when the input closes, which left the call (and its database connections) open.
  const lines = rl[Symbol.asyncIterator]();
  try {
    for (;;) {
      waiting = true;
      if (tty) rl.prompt();
      const next = await Promise.race([lines.next(), ended]);
      waiting = false;
      if (next === 'ended' || next.done) break;
      const text = String(next.value).trim();
      if (!text) continue;
      if (!tty) console.log(`caller> ${text}`);
      if ((await Promise.race([reply(call, text), ended])) === 'ended') break;
    }
  } finally {
    waiting = false;
    rl.close();
    process.off('SIGINT', hangUp);
    if (tty) {
      // The outcome replaces the prompt the caller left.
      clearLine(process.stdout, 0);
      cursorTo(process.stdout, 0);
    }
  }
  return callEnded(call);
}

async function reply(call: RunningCall, text: string): Promise<void> {
  try {
    await call.session.run({ userInput: text }).wait();
  } catch (error) {
    // A provider failure ends the call through runCall (an apology, then the hang-up); the
    // failed turn itself needs no more than a note.
    log().info({ err: (error as Error).message }, 'the turn failed');
  }
}

/** Hangs up if the call is still on, then waits for runCall to finish the call and its row. */
async function callEnded(call: RunningCall): Promise<CallOutcome> {
  await withDeadline(call.end('caller_hangup'), END_TIMEOUT_MS, 'ending the call');
  return withDeadline(call.finished, END_TIMEOUT_MS, 'ending the call');
}

function withDeadline<T>(promise: Promise<T>, timeoutMs: number, what: string): Promise<T> {
  return withTimeout(promise, { timeoutMs, error: () => new Error(`${what} took longer than ${timeoutMs} ms`) });
}

function exitWith(code: number): void {
  process.exitCode = code;
  // Everything is closed, so the process ends by itself; should a library still hold a handle,
  // it ends anyway, a moment later.
  setTimeout(() => process.exit(code), EXIT_GRACE_MS).unref();
}

main().then(exitWith, (error: unknown) => {
  console.error(`call: ${error instanceof Error ? error.message : String(error)}`);
  exitWith(EXIT_CODE.failures);
});
