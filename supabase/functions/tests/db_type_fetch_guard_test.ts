// The one rejection postgres.js leaves unhandled (its array-type read on a connection lost
// meanwhile) does not end the isolate: createDatabase installs the guard that drops it. Without
// the guard, Deno fails this test with an uncaught rejection.
import { createDatabase } from '../_shared/db.ts';
import { setLogLevel } from '../_shared/log.ts';

Deno.test('a connection lost during postgres.js type read does not end the isolate', async () => {
  setLogLevel('silent');
  const database = createDatabase('postgres://nobody@127.0.0.1:1/none');
  try {
    const lost = Object.assign(new Error('read ECONNRESET'), {
      code: 'ECONNRESET',
      query: '\n      select b.oid, b.typarray\n      from pg_catalog.pg_type a\n',
    });
    Promise.reject(lost);
    await new Promise((resolve) => setTimeout(resolve, 50));
  } finally {
    await database.end();
    setLogLevel('info');
  }
});
