// `npm run bench:webhooks`: webhooks from the database change to a local receiver (127.0.0.1),
// through the real trigger outbox, queue, dispatcher, signing and HTTP.
//   latency     a calls row inserted (autocommit) -> the receiver has the request, one event at a
//               time on an idle queue; target p99 <= 250 ms
//   throughput  N events committed at once -> all N received, from the commit; target >= 500 deliveries/s
// WEBHOOKS_CONCURRENCY sets the dispatcher's concurrency (default 32, as in production).
import { createEndpoint } from '../test/db/webhooks.ts';
import { startWebhookReceiver } from '../test/fakes/webhook_receiver.ts';
import { startDispatcher } from '../dispatcher/dispatcher.ts';
import { createLog } from '../dispatcher/log.ts';
import postgres from 'postgres';
import { percentile, startBenchDatabase } from './_database.ts';

const LATENCY_EVENTS = 200;
const THROUGHPUT_EVENTS = 3_000;

const database = await startBenchDatabase('webhooks');
const sql = postgres(database.url, { max: 2, onnotice: () => {} });
const receiver = await startWebhookReceiver();
const CONCURRENCY = Number(process.env.WEBHOOKS_CONCURRENCY ?? 32);
const dispatcher = await startDispatcher({
  databaseUrl: database.url,
  allowHttp: true,
  allowPrivate: true,
  concurrency: CONCURRENCY,
  log: createLog('warn'),
});
try {
  const ownerId = crypto.randomUUID();
  await sql`insert into auth.users (id, email, aud, role, created_at, updated_at) values (${ownerId}, 'bench@example.test', 'authenticated', 'authenticated', now(), now())`;
  const owner = { role: 'authenticated' as const, userId: ownerId, claims: { sub: ownerId, role: 'authenticated' } };
  const db = {
    url: database.url,
    sql,
    as: (p: typeof owner, work: (tx: postgres.TransactionSql) => Promise<unknown>) =>
      sql.begin(async (tx) => {
        await tx`select set_config('role', ${p.role}, true), set_config('request.jwt.claims', ${JSON.stringify(p.claims)}, true)`;
        return work(tx);
      }),
  } as never;
  const endpoint = await createEndpoint(db, owner, { url: receiver.url, events: ['call.started'] });
  receiver.secrets = [endpoint.secret];

  const latencies: number[] = [];
  for (let i = 0; i < LATENCY_EVENTS; i += 1) {
    const before = receiver.requests.length;
    const t0 = performance.now();
    await sql`insert into public.calls (room_name, owner_id, config_source) values ('bench', ${ownerId}, 'database')`;
    await receiver.waitFor(before + 1, 10_000);
    latencies.push(performance.now() - t0);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  const unverified = receiver.requests.filter((r) => r.verifiedWith === null).length;
  latencies.sort((a, b) => a - b);

  const before = receiver.requests.length;
  const t0 = performance.now();
  await sql`insert into public.calls (room_name, owner_id, config_source) select 'bulk', ${ownerId}, 'database' from generate_series(1, ${THROUGHPUT_EVENTS})`;
  const committedMs = performance.now() - t0;
  await receiver.waitFor(before + THROUGHPUT_EVENTS, 120_000);
  // From the commit: enqueueing is the writer's cost, measured apart.
  const seconds = (performance.now() - t0 - committedMs) / 1000;
  const perSecond = THROUGHPUT_EVENTS / seconds;

  const p50 = percentile(latencies, 50);
  const p99 = percentile(latencies, 99);
  console.log(`webhooks, event enqueued -> receiver got it (${LATENCY_EVENTS} events, idle queue, loopback):`);
  console.log(
    `  p50 ${p50.toFixed(1)} ms   p99 ${p99.toFixed(1)} ms   max ${latencies.at(-1)!.toFixed(1)} ms   target p99 <= 250 ms  ${p99 <= 250 ? 'OK' : 'MISSED'}`,
  );
  console.log(
    `webhooks, throughput (${THROUGHPUT_EVENTS} events committed in one statement, ${committedMs.toFixed(0)} ms to commit):`,
  );
  console.log(
    `  ${perSecond.toFixed(0)} deliveries/s (${seconds.toFixed(2)} s)   target >= 500/s  ${perSecond >= 500 ? 'OK' : 'MISSED'}`,
  );
  console.log(
    `  signatures the receiver could not verify: ${unverified + receiver.requests.slice(before).filter((r) => r.verifiedWith === null).length}`,
  );
} finally {
  await dispatcher.stop();
  await receiver.close();
  await sql.end();
  await database.stop();
}
