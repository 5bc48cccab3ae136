// `npm run agents -- <command>`: manage an owner's agent configs and numbers locally without
// psql, through the same RLS path the frontend uses (role authenticated and the owner's JWT
// claims, in one transaction, as PostgREST does). Refusals are the database's own words.
// Env: DATABASE_URL (default: the `npm run dev` database, DEV_DB_PORT). Exit codes:
// scripts/exit_code.ts.
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { withTimeout } from '../../shared/deadline.ts';
import { devDatabaseUrl } from '../../shared/dev_stack.ts';
import { AppError } from '../../shared/errors.ts';
import { EXIT_CODE, type ExitCode, exitCodeFor } from '../exit_code.ts';
import { addNumber, createConfig, deleteConfig, listOwner, updateConfig, useConfig } from './commands.ts';
import { CONFIG_FLAGS, CONFIG_FLAG_NAMES, configFieldsFromFlags } from './config_fields.ts';
import { formatListing, formatRefusal, isDatabaseRefusal, listingJson } from './output.ts';
import { classifyConnectionFailure, openSession, type Owner, type Session } from './owner_session.ts';

export const DEMO_OWNER_EMAIL = 'demo@switchboard.local';

const configFlagHelp = CONFIG_FLAG_NAMES.map((flag) => `  --${flag.padEnd(20)}${CONFIG_FLAGS[flag].help}`).join('\n');

export const USAGE = `Usage: npm run agents -- <command> [flags]

  list [--json]                      the owner's configs and numbers, and which config answers each
  create --name <name> [config]      creates a config and prints its id
  update <config id> <config>        changes only the given fields
  use-config <number> <config id>    points one of the owner's numbers at one of its configs
  delete <config id>                 its numbers stay, answered by nobody until use-config
  add-number <e164> --owner <email> [--label <text>]
                                     operator: gives the owner a number (runs as service_role)

Config flags:
${configFlagHelp}

  --owner <email>   whose configs (default ${DEMO_OWNER_EMAIL}, the local stack's demo owner)
  --verbose         adds the SQLSTATE to refusals and stacks to unexpected errors

Environment: DATABASE_URL (default: the \`npm run dev\` database on DEV_DB_PORT).`;

export interface CliIo {
  env: Record<string, string | undefined>;
  out(line: string): void;
  err(line: string): void;
}

export interface RunOptions {
  /** Limit on connecting to the database, in milliseconds. Default 5000. */
  connectTimeoutMs?: number;
  /** Server-side limit on each statement, in milliseconds. Default 10000. */
  statementTimeoutMs?: number;
  /** Limit on the whole command, in case the server stops answering mid-way. Default 30000. */
  deadlineMs?: number;
}
const DEFAULT_DEADLINE_MS = 30_000;

const COMMAND_FLAGS: Record<string, readonly string[]> = {
  list: ['json'],
  create: CONFIG_FLAG_NAMES,
  update: CONFIG_FLAG_NAMES,
  'use-config': [],
  delete: [],
  'add-number': ['label'],
};
const GLOBAL_FLAGS = ['owner', 'verbose', 'help'];
const POSITIONALS: Record<string, string[]> = {
  list: [],
  create: [],
  update: ['config id'],
  'use-config': ['number', 'config id'],
  delete: ['config id'],
  'add-number': ['e164'],
};
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

type Values = Record<string, string | boolean | undefined>;

export async function runAgentsCli(argv: string[], io: CliIo, options: RunOptions = {}): Promise<ExitCode> {
  let parsed: { values: Values; positionals: string[] };
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      strict: true,
      options: {
        owner: { type: 'string' },
        json: { type: 'boolean' },
        label: { type: 'string' },
        verbose: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
        ...Object.fromEntries(CONFIG_FLAG_NAMES.map((flag) => [flag, { type: 'string' as const }])),
      },
    });
  } catch (error) {
    return usageError(io, error instanceof Error ? error.message : String(error));
  }
  const { values, positionals } = parsed;
  const [command, ...args] = positionals;
  if (values.help || command === 'help') {
    io.out(USAGE);
    return EXIT_CODE.ok;
  }
  if (command === undefined) return usageError(io, 'no command given.');
  const allowed = COMMAND_FLAGS[command];
  const expected = POSITIONALS[command];
  if (!allowed || !expected) return usageError(io, `unknown command ${command}.`);
  const stray = Object.keys(values).find(
    (flag) => values[flag] !== undefined && !allowed.includes(flag) && !GLOBAL_FLAGS.includes(flag),
  );
  if (stray) return usageError(io, `${command} does not take --${stray}.`);
  if (args.length !== expected.length) {
    const shape = expected.map((name) => `<${name}>`).join(' ');
    return usageError(
      io,
      `${command} takes ${expected.length === 0 ? 'no arguments' : shape}, got ${args.length === 0 ? 'none' : args.join(' ')}.`,
    );
  }

  let run: Run;
  try {
    run = prepare(command, args, values);
  } catch (error) {
    if (error instanceof AppError && exitCodeFor(error) === EXIT_CODE.usage) return usageError(io, error.message);
    throw error;
  }

  let databaseUrl: string;
  try {
    databaseUrl = io.env.DATABASE_URL?.trim() || devDatabaseUrl(io.env);
  } catch (error) {
    io.err(`agents: ${error instanceof Error ? error.message : String(error)}.`);
    return EXIT_CODE.config;
  }

  const verbose = values.verbose === true;
  const session = openSession({
    url: databaseUrl,
    connectTimeoutMs: options.connectTimeoutMs,
    statementTimeoutMs: options.statementTimeoutMs,
  });
  const deadlineMs = options.deadlineMs ?? DEFAULT_DEADLINE_MS;
  let timedOut = false;
  try {
    await withTimeout(run(session, io), {
      timeoutMs: deadlineMs,
      onExpired: () => {
        timedOut = true;
      },
      error: () =>
        new AppError(
          'unavailable',
          `the database at ${session.host} stopped answering (nothing for ${deadlineMs} ms). Is \`npm run dev\` running? Otherwise check DATABASE_URL.`,
        ),
    });
    return EXIT_CODE.ok;
  } catch (error) {
    return report(error, session, io, verbose);
  } finally {
    await session.close({ force: timedOut });
  }
}

type Run = (session: Session, io: CliIo) => Promise<void>;

/** Checks everything the command line alone can tell, before any connection is made. */
function prepare(command: string, args: string[], values: Values): Run {
  const ownerFlag = typeof values.owner === 'string' ? values.owner : undefined;
  const forOwner =
    (work: (session: Session, owner: Owner, io: CliIo) => Promise<void>): Run =>
    async (session, io) =>
      work(session, await session.findOwner(ownerFlag ?? DEMO_OWNER_EMAIL, { isDefault: ownerFlag === undefined }), io);

  switch (command) {
    case 'list':
      return forOwner(async (session, owner, io) => {
        const listing = await listOwner(session, owner);
        if (values.json) io.out(listingJson(listing));
        else for (const line of formatListing(listing)) io.out(line);
      });
    case 'create': {
      const fields = configFieldsFromFlags(values);
      if (fields.name === undefined) throw new AppError('invalid_request', 'create needs --name <name>.');
      return forOwner(async (session, owner, io) => io.out(await createConfig(session, owner, fields)));
    }
    case 'update': {
      const id = configId(args[0]!);
      const fields = configFieldsFromFlags(values);
      if (Object.keys(fields).length === 0) {
        throw new AppError(
          'invalid_request',
          `update needs at least one of ${CONFIG_FLAG_NAMES.map((f) => `--${f}`).join(', ')}.`,
        );
      }
      return forOwner(async (session, owner, io) => {
        const result = await updateConfig(session, owner, id, fields);
        io.out(
          result.changed.length === 0
            ? `${id} already had those values (version ${result.version}).`
            : `updated ${id} (now version ${result.version}): ${result.changed.join(', ')}`,
        );
      });
    }
    case 'use-config': {
      const [number, id] = [args[0]!, configId(args[1]!)];
      return forOwner(async (session, owner, io) => {
        const result = await useConfig(session, owner, number, id);
        io.out(`${result.e164} is now answered by ${result.config.name} (${result.config.id}).`);
      });
    }
    case 'delete': {
      const id = configId(args[0]!);
      return forOwner(async (session, owner, io) => {
        const result = await deleteConfig(session, owner, id);
        io.out(`deleted ${result.name} (${result.id}).`);
        for (const e164 of result.orphaned) {
          io.out(
            `nobody answers ${e164} now: \`npm run agents -- use-config ${e164} <config id>\` gives it another config.`,
          );
        }
      });
    }
    case 'add-number': {
      // Giving someone a number is the operator's decision: name the owner, never default it.
      if (!ownerFlag)
        throw new AppError('invalid_request', 'add-number needs --owner <email>: whose number it becomes.');
      const label = typeof values.label === 'string' ? values.label : '';
      return async (session, io) => {
        const owner = await session.findOwner(ownerFlag, { isDefault: false });
        const added = await addNumber(session, owner, args[0]!, label);
        io.out(
          `added ${added.e164}${added.label ? ` (${added.label})` : ''} for ${owner.email}; nobody answers it until \`npm run agents -- use-config ${added.e164} <config id> --owner ${owner.email}\`.`,
        );
      };
    }
    default:
      throw new AppError('invalid_request', `unknown command ${command}.`);
  }
}

function configId(raw: string): string {
  if (!UUID.test(raw)) {
    throw new AppError(
      'invalid_request',
      `'${raw}' is not a config id (a UUID); \`npm run agents -- list\` shows them.`,
    );
  }
  return raw;
}

function usageError(io: CliIo, problem: string): ExitCode {
  io.err(`agents: ${problem}`);
  io.err(USAGE);
  return EXIT_CODE.usage;
}

function report(error: unknown, session: Session, io: CliIo, verbose: boolean): ExitCode {
  const failure = error instanceof AppError ? error : classifyConnectionFailure(error, session.host);
  if (failure) {
    io.err(`agents: ${failure.message}`);
    if (verbose && failure.cause instanceof Error) io.err(failure.cause.stack ?? String(failure.cause));
    return exitCodeFor(failure);
  }
  if (isDatabaseRefusal(error)) {
    for (const line of formatRefusal(error, verbose)) io.err(line);
    return EXIT_CODE.failures;
  }
  io.err(`agents: ${error instanceof Error ? error.message : String(error)}`);
  if (verbose && error instanceof Error) io.err(error.stack ?? '');
  return EXIT_CODE.failures;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  runAgentsCli(process.argv.slice(2), {
    env: process.env,
    out: (l) => console.log(l),
    err: (l) => console.error(l),
  }).then((code) => {
    process.exitCode = code;
  });
}
