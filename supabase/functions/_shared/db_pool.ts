// The postgres.js pool behind Database, replaceable: when a unit of work overruns its deadline
// the connection it holds is presumed stalled (the server would have cancelled a slow statement
// itself), and postgres.js cannot drop one connection, so the whole pool is discarded and the
// next unit of work opens fresh connections. Work still running on the old pool fails at once.
import type postgres from 'postgres';

export interface ReplaceablePool {
  current(): postgres.Sql;
  /** Destroys `sql`'s connections and starts a new pool, unless `sql` was already replaced. */
  discard(sql: postgres.Sql): void;
  end(): Promise<void>;
}

export function createReplaceablePool(open: () => postgres.Sql): ReplaceablePool {
  let sql = open();
  return {
    current: () => sql,
    discard(stale) {
      if (stale !== sql) return;
      sql = open();
      stale.end({ timeout: 0 }).catch(() => {});
    },
    end: () => sql.end({ timeout: 5 }),
  };
}
