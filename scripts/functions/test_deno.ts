// `npm run test:deno`: runs `deno test` on supabase/functions with what the function tests need
// and Deno cannot start itself: an embedded Postgres with a migrated template database, and the
// provider fakes (Node servers on 127.0.0.1). Their URLs reach the tests through env
// (see supabase/functions/tests/harness.ts). Extra arguments go to `deno test`, e.g.
//   npm run test:deno -- supabase/functions/tests/voice-preview_test.ts --filter cache
import { spawn } from 'node:child_process';
import { startEmbeddedPostgres } from '../db/embedded.ts';
import { migrateDatabase, PROJECT_ROOT } from '../db/migrate.ts';
import { DENO_ENV, denoBinary } from './deno_binary.ts';
import { DENO_TEST_FAKES } from './deno_test_fakes.ts';

const TEMPLATE = 'functions_template';

async function main(): Promise<number> {
  const pg = await startEmbeddedPostgres();
  const running: { close(): Promise<void> }[] = [];
  try {
    await pg.createDatabase(TEMPLATE);
    await migrateDatabase(pg.urlFor(TEMPLATE));
    const env: Record<string, string> = {
      SWITCHBOARD_TEST_DB_ADMIN_URL: pg.adminUrl,
      SWITCHBOARD_TEST_DB_TEMPLATE: TEMPLATE,
    };
    for (const fake of DENO_TEST_FAKES) {
      const started = await fake.start();
      running.push(started);
      Object.assign(env, started.env);
    }
    const args = process.argv.slice(2);
    const targets = args.some((arg) => !arg.startsWith('-')) ? [] : ['supabase/functions'];
    return await new Promise<number>((resolve) => {
      const child = spawn(
        denoBinary(),
        ['test', '--allow-env', '--allow-net', '--allow-read', '--allow-sys', ...args, ...targets],
        {
          cwd: PROJECT_ROOT,
          env: { ...process.env, ...DENO_ENV, ...env },
          stdio: 'inherit',
        },
      );
      child.on('error', (error) => {
        console.error(`test:deno: could not start deno: ${error.message}`);
        resolve(1);
      });
      child.on('exit', (code, signal) => resolve(code ?? (signal ? 1 : 0)));
    });
  } finally {
    for (const fake of running.reverse()) await fake.close().catch(() => {});
    await pg.stop();
  }
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(`test:deno: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
  },
);
