// `npm run voices -- sync [--dry-run] [--json]`: pulls the ElevenLabs voice list into
// public.voices, exactly as the voices-sync function does (same code: shared/voices_catalog.ts), and
// prints what changed. Env: DATABASE_URL (default: the `npm run dev` database, on DEV_DB_PORT), ELEVEN_API_KEY,
// ELEVENLABS_BASE_URL (optional). Exit codes: scripts/exit_code.ts.
import { parseArgs } from 'node:util';
import { operatorConnection } from '../db/operator_connection.ts';
import { devDatabaseUrl } from '../../shared/dev_stack.ts';
import { AppError } from '../../shared/errors.ts';
import { classifyPostgresError } from '../../shared/postgres_errors.ts';
import { createElevenLabsClient } from '../../shared/elevenlabs_client.ts';
import { syncVoiceCatalog } from '../../shared/voices_catalog.ts';
import { EXIT_CODE } from '../exit_code.ts';

const USAGE = 'usage: npm run voices -- sync [--dry-run] [--json]';

export interface CliIo {
  env: Record<string, string | undefined>;
  out(line: string): void;
  err(line: string): void;
}

export async function runVoicesCli(argv: string[], io: CliIo): Promise<number> {
  let flags: { 'dry-run'?: boolean; json?: boolean; verbose?: boolean };
  let command: string | undefined;
  let extra: string[];
  try {
    const parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      strict: true,
      options: { 'dry-run': { type: 'boolean' }, json: { type: 'boolean' }, verbose: { type: 'boolean' } },
    });
    flags = parsed.values;
    [command, ...extra] = parsed.positionals;
  } catch (error) {
    io.err(`voices: ${(error instanceof Error ? error.message : String(error)).replace(/\.$/, '')}. ${USAGE}`);
    return EXIT_CODE.usage;
  }
  if (command !== 'sync' || extra.length > 0) {
    io.err(
      `voices: ${command === undefined ? 'no command' : command !== 'sync' ? `unknown command ${command}` : `unexpected argument ${extra[0]}`}. ${USAGE}`,
    );
    return EXIT_CODE.usage;
  }
  const dryRun = flags['dry-run'] === true;
  const apiKey = io.env.ELEVEN_API_KEY;
  if (!apiKey) {
    io.err(
      'voices: ELEVEN_API_KEY is not set. Export your ElevenLabs API key (ELEVEN_API_KEY, not ELEVENLABS_API_KEY) and run again.',
    );
    return EXIT_CODE.config;
  }
  let databaseUrl: string;
  try {
    databaseUrl = io.env.DATABASE_URL ?? devDatabaseUrl(io.env);
  } catch (error) {
    io.err(`voices: ${(error as Error).message}. Set it to the port npm run dev uses, or set DATABASE_URL.`);
    return EXIT_CODE.config;
  }
  const sql = operatorConnection(databaseUrl);
  try {
    const client = createElevenLabsClient({ apiKey, baseUrl: io.env.ELEVENLABS_BASE_URL, timeoutMs: 15_000 });
    const listed = await client.listAllVoices();
    const result = await syncVoiceCatalog(
      (work) =>
        sql.begin(async (tx) => {
          await tx`select set_config('role', 'service_role', true)`;
          return work(tx);
        }) as never,
      listed,
      { dryRun },
    );
    if (flags.json) io.out(JSON.stringify({ dry_run: dryRun, changed: result.changed, ...result.plan }, null, 2));
    else for (const line of result.report) io.out(line);
    return EXIT_CODE.ok;
  } catch (error) {
    io.err(`voices: ${describe(error, databaseUrl)}`);
    if (flags.verbose && error instanceof Error) io.err(error.stack ?? '');
    if (error instanceof AppError) return error.code === 'tts_auth_failed' ? EXIT_CODE.config : EXIT_CODE.unreachable;
    return isConnectionError(error) ? EXIT_CODE.unreachable : EXIT_CODE.failures;
  } finally {
    await sql.end({ timeout: 2 });
  }
}

function describe(error: unknown, databaseUrl: string): string {
  if (error instanceof AppError) return error.message;
  if (isConnectionError(error)) {
    const host = new URL(databaseUrl).host;
    return `cannot reach the database at ${host}. Start it with npm run dev, or set DATABASE_URL.`;
  }
  return error instanceof Error ? `sync failed: ${error.message}` : String(error);
}

function isConnectionError(error: unknown): boolean {
  return classifyPostgresError(error) === 'unreachable';
}

if (import.meta.url === `file://${process.argv[1]}`) {
  runVoicesCli(process.argv.slice(2), {
    env: process.env,
    out: (l) => console.log(l),
    err: (l) => console.error(l),
  }).then((code) => process.exit(code));
}
