// `npm run sip -- <command>`: the operator CLI for the SignalWire -> LiveKit telephony setup.
// Every failure is one line on stderr with the fix, and an exit code from scripts/exit_code.ts;
// stacks only with --verbose.
import { parseArgs } from 'node:util';
import { AppError } from '../../shared/errors.ts';
import { EXIT_CODE, type ExitCode, exitCodeFor } from '../exit_code.ts';
import { applyCommand, planCommand } from './apply.ts';
import { backupCommand, restoreCommand } from './backup.ts';
import { loadContext } from './context.ts';
import { doctor, snapshotCommand } from './doctor.ts';
import type { Output } from './output.ts';
import { roomsCommand } from './rooms.ts';

export const USAGE = `Usage: npm run sip -- <command> [flags]

  doctor [--json] [--snapshot FILE]   diagnose the call path (exit 0 ok, 1 warnings, 2 failures)
  snapshot [--out FILE]               save a live snapshot for offline diagnosis
  plan [--prune] [--json]             show what apply would change in LiveKit
  apply [--prune]                     make LiveKit match telephony.json (backs up first)
  backup [--out FILE]                 save every inbound trunk and dispatch rule
  restore FILE [--dry-run]            recreate or put back trunks and rules from a backup
  rooms [--json] [--show-numbers]     active call rooms, their SIP callers, status and age

Environment: LIVEKIT_URL, LIVEKIT_API_KEY, LIVEKIT_API_SECRET, DATABASE_URL, WORKER_HEALTH_URL,
AGENT_NAME, SIP_AUTH_USERNAME, SIP_AUTH_PASSWORD, SIP_ALLOWED_ADDRESSES, TELEPHONY_CONFIG,
SIP_BACKUP_DIR, LIVEKIT_TIMEOUT_MS (see README, "Telephony").`;

export interface RunOptions {
  env: Record<string, string | undefined>;
  out: Output;
}

export async function runSip(argv: string[], options: RunOptions): Promise<ExitCode> {
  const { out } = options;
  let verbose = argv.includes('--verbose');
  try {
    const { values, positionals } = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        json: { type: 'boolean' },
        snapshot: { type: 'string' },
        out: { type: 'string' },
        prune: { type: 'boolean' },
        'dry-run': { type: 'boolean' },
        'show-numbers': { type: 'boolean' },
        'no-color': { type: 'boolean' },
        verbose: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
    });
    verbose = values.verbose ?? false;
    const [command, ...rest] = positionals;
    if (values.help || command === 'help' || command === undefined) {
      out.stdout(USAGE);
      return command === undefined && !values.help ? EXIT_CODE.usage : EXIT_CODE.ok;
    }
    const output: Output = values['no-color'] ? { ...out, colour: false } : out;
    const ctx = loadContext(options.env);
    switch (command) {
      case 'doctor':
        return await doctor(ctx, output, {
          json: values.json ?? false,
          ...(values.snapshot ? { snapshot: values.snapshot } : {}),
        });
      case 'snapshot':
        return await snapshotCommand(ctx, output, values.out ? { out: values.out } : {});
      case 'plan':
        return await planCommand(ctx, output, { prune: values.prune ?? false, json: values.json ?? false });
      case 'apply':
        return await applyCommand(ctx, output, { prune: values.prune ?? false });
      case 'backup':
        return await backupCommand(ctx, output, values.out ? { out: values.out } : {});
      case 'restore':
        return await restoreCommand(ctx, output, rest[0], { dryRun: values['dry-run'] ?? false });
      case 'rooms':
        return await roomsCommand(ctx, output, {
          json: values.json ?? false,
          showNumbers: values['show-numbers'] ?? false,
        });
      default:
        out.stderr(`sip: unknown command ${JSON.stringify(command)}. Run npm run sip -- help`);
        return EXIT_CODE.usage;
    }
  } catch (error) {
    if (error instanceof AppError) {
      out.stderr(`sip: ${error.message}`);
      if (verbose && error.cause) out.stderr(String((error.cause as Error).stack ?? error.cause));
      return exitCodeFor(error);
    }
    if ((error as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
      out.stderr(`sip: ${(error as Error).message}. Run npm run sip -- help`);
      return EXIT_CODE.usage;
    }
    out.stderr(
      `sip: unexpected error: ${(error as Error).message?.split('\n')[0] ?? String(error)} (rerun with --verbose for details)`,
    );
    if (verbose) out.stderr(String((error as Error).stack ?? error));
    return EXIT_CODE.failures;
  }
}

if (import.meta.main) {
  const colour = Boolean(process.stdout.isTTY) && !process.env.NO_COLOR;
  const code = await runSip(process.argv.slice(2), {
    env: process.env,
    out: { stdout: (text) => console.log(text), stderr: (text) => console.error(text), colour },
  });
  process.exitCode = code;
}
