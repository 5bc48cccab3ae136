// `npm run worker:stats`: what each worker hub on this host is doing (agent/host/): the main
// process's pid, the job processes connected, resolves and record writes served, config changes
// pushed, and the writes it still holds for the database. Reads WORKER_HUB_SOCKET, or --socket,
// or every switchboard-hub-*.sock in the temp directory (the default path, one per worker).
// Exit codes (scripts/exit_code.ts): 0 every hub answered, 2 no hub socket found, 4 a socket
// that no hub answers (a worker that died leaves its socket behind), 64 usage.
import { readdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { readHubStats } from '../../agent/host/hub_client.ts';
import type { WireHubStats } from '../../agent/host/protocol.ts';
import { errorMessage } from '../../shared/errors.ts';
import { EXIT_CODE, type ExitCode } from '../exit_code.ts';

export const USAGE = `Usage: npm run worker:stats -- [--socket <path>] [--json]

  --socket <path>   one hub's socket (default: WORKER_HUB_SOCKET, else every
                    switchboard-hub-*.sock in ${tmpdir()})
  --json            one JSON object per hub`;

export interface StatsIo {
  env: Record<string, string | undefined>;
  out(line: string): void;
  err(line: string): void;
  /** Where default sockets live. Default os.tmpdir(). */
  socketDir?: string;
}

const ASK_TIMEOUT_MS = 1_000;

export async function runHubStats(argv: string[], io: StatsIo): Promise<ExitCode> {
  let values: { socket?: string; json?: boolean; help?: boolean };
  try {
    ({ values } = parseArgs({
      args: argv,
      strict: true,
      options: { socket: { type: 'string' }, json: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } },
    }));
  } catch (error) {
    io.err(`worker:stats: ${errorMessage(error)}\n${USAGE}`);
    return EXIT_CODE.usage;
  }
  if (values.help) {
    io.out(USAGE);
    return EXIT_CODE.ok;
  }
  const sockets = await socketsToAsk(values.socket ?? io.env.WORKER_HUB_SOCKET, io.socketDir ?? tmpdir());
  if (sockets.length === 0) {
    io.err('worker:stats: no worker hub socket found. Start the worker (npm run worker) or pass --socket <path>.');
    return EXIT_CODE.failures;
  }
  let unanswered = 0;
  for (const socket of sockets) {
    try {
      const stats = await readHubStats(socket, ASK_TIMEOUT_MS);
      io.out(values.json ? JSON.stringify({ socket, ...stats }) : formatStats(socket, stats));
    } catch (error) {
      unanswered += 1;
      io.err(
        `worker:stats: no hub answers at ${socket} (${errorMessage(error).replace(/\.$/, '')}). ${staleHint(socket)}`,
      );
    }
  }
  return unanswered > 0 ? EXIT_CODE.unreachable : EXIT_CODE.ok;
}

async function socketsToAsk(given: string | undefined, dir: string): Promise<string[]> {
  if (given) return [given];
  const names = await readdir(dir).catch(() => [] as string[]);
  return names
    .filter((name) => /^switchboard-hub-\d+\.sock$/.test(name))
    .sort()
    .map((name) => path.join(dir, name));
}

/** A default socket names its worker's pid: say whether that worker still runs. */
function staleHint(socket: string): string {
  const pid = Number(/switchboard-hub-(\d+)\.sock$/.exec(socket)?.[1]);
  if (!pid) return 'If its worker has stopped, remove the socket file.';
  try {
    process.kill(pid, 0);
    return `Its worker (pid ${pid}) is running but its hub does not answer: see the worker's log.`;
  } catch {
    return `Its worker (pid ${pid}) is not running: remove the socket file.`;
  }
}

export function formatStats(socket: string, stats: WireHubStats): string {
  return [
    `hub ${socket} (worker main process ${stats.pid})`,
    `  job processes connected  ${stats.clients}`,
    `  resolves served          ${stats.resolves}`,
    `  record writes            ${stats.writes} (${stats.pending_writes} held for the database)`,
    `  config changes pushed    ${stats.changes_pushed}`,
  ].join('\n');
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const io: StatsIo = { env: process.env, out: (line) => console.log(line), err: (line) => console.error(line) };
  process.exitCode = await runHubStats(process.argv.slice(2), io);
}
