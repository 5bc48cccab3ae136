// Vitest global setup: one embedded Postgres for the whole run, with a template database
// migrated exactly as `npm run db:migrate` does. Each test file clones the template
// (createTestDatabase), so files never see each other's rows.
import { rmSync } from 'node:fs';
import path from 'node:path';
import type { TestProject } from 'vitest/node';
import { startEmbeddedPostgres, type RunningPostgres } from '../../scripts/db/embedded.ts';
import { migrateDatabase, PROJECT_ROOT } from '../../scripts/db/migrate.ts';

export const TEMPLATE_DATABASE = 'switchboard_template';

let server: RunningPostgres | undefined;
const dataDir = path.join(PROJECT_ROOT, '.data', `test-${process.pid}`, 'pg');

export async function setup(project: TestProject): Promise<void> {
  server = await startEmbeddedPostgres({ dataDir, persistent: false });
  await server.createDatabase(TEMPLATE_DATABASE);
  await migrateDatabase(server.urlFor(TEMPLATE_DATABASE));
  project.provide('databaseAdminUrl', server.adminUrl);
  project.provide('templateDatabase', TEMPLATE_DATABASE);
}

export async function teardown(): Promise<void> {
  await server?.stop();
  rmSync(path.dirname(dataDir), { recursive: true, force: true });
}

declare module 'vitest' {
  export interface ProvidedContext {
    databaseAdminUrl: string;
    templateDatabase: string;
  }
}
