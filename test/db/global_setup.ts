// Vitest global setup: one embedded Postgres for the whole run, with a template database
// migrated exactly as `npm run db:migrate` does. Each test file clones the template
// (createTestDatabase), so files never see each other's rows.
import type { TestProject } from 'vitest/node';
import { startEmbeddedPostgres, type RunningPostgres } from '../../scripts/db/embedded.ts';
import { migrateDatabase } from '../../scripts/db/migrate.ts';

export const TEMPLATE_DATABASE = 'switchboard_template';

let server: RunningPostgres | undefined;

export async function setup(project: TestProject): Promise<void> {
  server = await startEmbeddedPostgres();
  await server.createDatabase(TEMPLATE_DATABASE);
  await migrateDatabase(server.urlFor(TEMPLATE_DATABASE));
  project.provide('databaseAdminUrl', server.adminUrl);
  project.provide('templateDatabase', TEMPLATE_DATABASE);
}

export async function teardown(): Promise<void> {
  await server?.stop();
}

declare module 'vitest' {
  export interface ProvidedContext {
    databaseAdminUrl: string;
    templateDatabase: string;
  }
}
