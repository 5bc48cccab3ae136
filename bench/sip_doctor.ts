// `npm run bench:sip_doctor`: the doctor's wall time against the LiveKit fake answering each call
// after 200 ms, with a real (embedded, migrated) database and the worker health fake. The
// LiveKit, worker and database reads run in parallel, so the target is <= 1.3x one call (260 ms).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startEmbeddedPostgres } from '../scripts/db/embedded.ts';
import { migrateDatabase } from '../scripts/db/migrate.ts';
import { runSip } from '../scripts/sip/cli.ts';
import { FakeLiveKit } from '../test/fakes/livekit.ts';
import { FakeWorkerHealth } from '../test/fakes/livekit_worker_health.ts';

const CALL_MS = 200;
const RUNS = 15;
const TARGET_RATIO = 1.3;

const dir = mkdtempSync(path.join(tmpdir(), 'bench-sip-'));
const pg = await startEmbeddedPostgres();
await pg.createDatabase('bench');
await migrateDatabase(pg.urlFor('bench'));
const livekit = await FakeLiveKit.start();
const worker = await FakeWorkerHealth.start();
const env = {
  LIVEKIT_URL: livekit.url,
  LIVEKIT_API_KEY: livekit.apiKey,
  LIVEKIT_API_SECRET: livekit.apiSecret,
  DATABASE_URL: pg.urlFor('bench'),
  WORKER_HEALTH_URL: worker.url,
  SIP_ALLOWED_ADDRESSES: '203.0.113.0/24',
  SIP_BACKUP_DIR: path.join(dir, 'backups'),
  ELEVEN_API_KEY: 'x',
  DEEPGRAM_API_KEY: 'x',
  OPENAI_API_KEY: 'x',
};
const quiet = { stdout: () => {}, stderr: (t: string) => console.error(t), colour: false };

try {
  if ((await runSip(['apply'], { env, out: quiet })) !== 0) throw new Error('apply failed');
  livekit.setLatency(CALL_MS);
  await runSip(['doctor', '--json'], { env, out: quiet }); // warm-up: module and connection setup
  const times: number[] = [];
  let maxOverlap = 0;
  let callsPerRun = 0;
  for (let i = 0; i < RUNS; i++) {
    const before = livekit.requests.length;
    const start = performance.now();
    await runSip(['doctor', '--json'], { env, out: quiet });
    times.push(performance.now() - start);
    const calls = livekit.requests.slice(before);
    callsPerRun = calls.length;
    maxOverlap = Math.max(
      maxOverlap,
      calls.filter((c) => c.startedAt < Math.min(...calls.map((x) => x.finishedAt ?? Infinity))).length,
    );
  }
  times.sort((a, b) => a - b);
  const median = times[Math.floor(times.length / 2)]!;
  const p95 = times[Math.min(times.length - 1, Math.ceil(times.length * 0.95) - 1)]!;
  const ratio = median / CALL_MS;
  console.log(`sip doctor, LiveKit fake at ${CALL_MS} ms per call, ${RUNS} runs`);
  console.log(`  LiveKit calls per doctor run: ${callsPerRun}, in flight together: ${maxOverlap}`);
  console.log(
    `  wall time: min ${times[0]!.toFixed(0)} ms, median ${median.toFixed(0)} ms, p95 ${p95.toFixed(0)} ms, max ${times.at(-1)!.toFixed(0)} ms`,
  );
  console.log(
    `  median / one call = ${ratio.toFixed(2)}x (target <= ${TARGET_RATIO}x): ${ratio <= TARGET_RATIO ? 'PASS' : 'FAIL'}`,
  );
} finally {
  await Promise.all([livekit.close(), worker.close()]);
  await pg.stop();
  rmSync(dir, { recursive: true, force: true });
}
