// A throwaway embedded Postgres, migrated like production, for benchmarks.
import { startEmbeddedPostgres } from '../scripts/db/embedded.ts';
import { migrateDatabase } from '../scripts/db/migrate.ts';

export interface BenchDatabase {
  url: string;
  stop(): Promise<void>;
}

export async function startBenchDatabase(_name: string): Promise<BenchDatabase> {
  const server = await startEmbeddedPostgres();
  await server.createDatabase('bench');
  await migrateDatabase(server.urlFor('bench'));
  return {
    url: server.urlFor('bench'),
    async stop() {
      await server.stop();
    },
  };
}

export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const index = Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1);
  return sorted[Math.max(0, index)]!;
}

export const fmt = (ms: number) => `${ms.toFixed(3)} ms`;
