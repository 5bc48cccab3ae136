// `npm run dev`: the local stack. Starts embedded Postgres 17 (data in .data/dev, reused on the
// next start), brings it up to date, adds the demo owner, config and number (scripts/dev_seed.ts)
// the first time, then starts the services registered in DEV_SERVICES and prints what runs where.
// Ctrl-C stops everything. Set DATABASE_URL to use another Postgres (no demo data is written there).
import path from 'node:path';
import { withTimeout } from '../shared/deadline.ts';
import { DEV_DATABASE_NAME, devDatabasePort } from '../shared/dev_stack.ts';
import { startEmbeddedPostgres, type RunningPostgres } from './db/embedded.ts';
import { migrateDatabase, PROJECT_ROOT } from './db/migrate.ts';
import { DEV_SERVICES, type DevService, type RunningService } from './dev_services.ts';
import { operatorConnection } from './db/operator_connection.ts';
import { demoSummary, seedDemoData } from './dev_seed.ts';

/** The longest one service may take to stop on Ctrl-C before the next one is stopped. */
const SERVICE_STOP_MS = 8_000;

async function main(): Promise<void> {
  let server: RunningPostgres | undefined;
  let databaseUrl = process.env.DATABASE_URL;
  if (!databaseUrl) {
    console.log('dev: starting embedded Postgres 17 ...');
    server = await startEmbeddedPostgres({
      dataDir: path.join(PROJECT_ROOT, '.data', 'dev', 'pg'),
      port: devDatabasePort(process.env),
    });
    await ensureDatabase(server, DEV_DATABASE_NAME);
    databaseUrl = server.urlFor(DEV_DATABASE_NAME);
  }
  await migrateDatabase(databaseUrl, { log: (line) => console.log(`dev: ${line}`) });

  // Only a database this script started gets demo rows: DATABASE_URL may be anyone's.
  const demo = server ? await demoLines(databaseUrl) : ['  demo       not created: DATABASE_URL is set'];

  const running: RunningService[] = [];
  const lines = [`  database   ${databaseUrl}`];
  if (server)
    lines.push(
      `             data in ${path.relative(PROJECT_ROOT, server.dataDir).startsWith('..') ? server.dataDir : path.relative(PROJECT_ROOT, server.dataDir)}`,
    );
  for (const service of DEV_SERVICES) {
    const started = await startService(service, databaseUrl);
    if (started.service) running.push(started.service);
    lines.push(`  ${service.name.padEnd(10)} ${started.summary}`);
  }
  lines.push(...demo);
  console.log(`\nSwitchboard is running:\n${lines.join('\n')}\n\nCtrl-C stops everything.`);

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    console.log(`\ndev: ${signal}, stopping ...`);
    // Each service gets a bounded stop, so one that hangs cannot keep the stack (and its database) up.
    for (const service of running.reverse())
      await withTimeout(service.stop(), { timeoutMs: SERVICE_STOP_MS }).catch(() => {});
    await server?.stop();
    console.log('dev: stopped');
    process.exit(0);
  };
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('SIGTERM', () => void stop('SIGTERM'));
}

async function demoLines(databaseUrl: string): Promise<string[]> {
  try {
    return demoSummary(await seedDemoData(databaseUrl), process.env);
  } catch (error) {
    return [`  demo       not created: ${error instanceof Error ? error.message : String(error)}`];
  }
}

async function startService(
  service: DevService,
  databaseUrl: string,
): Promise<{ service?: RunningService; summary: string }> {
  try {
    const result = await service.start({ databaseUrl, env: process.env });
    return 'skipped' in result
      ? { summary: `not started: ${result.skipped}` }
      : { service: result, summary: result.summary };
  } catch (error) {
    return { summary: `failed to start: ${error instanceof Error ? error.message : String(error)}` };
  }
}

async function ensureDatabase(server: RunningPostgres, name: string): Promise<void> {
  const admin = operatorConnection(server.adminUrl);
  try {
    const rows = await admin`select 1 from pg_database where datname = ${name}`;
    if (rows.length === 0) await server.createDatabase(name);
  } finally {
    await admin.end();
  }
}

main().catch((error) => {
  console.error(`dev: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
