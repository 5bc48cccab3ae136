// `npm run db:migrate`: brings the Postgres at DATABASE_URL up to date (bootstrap on plain
// Postgres, migrations through the Supabase CLI, seed). Idempotent.
import { migrateDatabase } from './migrate.ts';

const url = process.env.DATABASE_URL;
if (!url) {
  console.error(
    'DATABASE_URL is not set. Example: DATABASE_URL=postgresql://postgres:postgres@127.0.0.1:5432/switchboard npm run db:migrate',
  );
  process.exit(3);
}
try {
  const result = await migrateDatabase(url, { log: (line) => console.log(`db: ${line}`) });
  console.log(result.cliOutput.trim());
  console.log(`db: up to date (${result.supabase ? 'Supabase database' : 'plain Postgres with platform bootstrap'})`);
} catch (error) {
  console.error(`db: migration failed: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
}
