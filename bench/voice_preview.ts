// `npm run bench:voice-preview`: voice-preview through the local functions gateway (Deno, real
// HTTP on loopback, real Postgres, the ElevenLabs fake at zero latency).
//   cache hit: time to the whole body             target p50 <= 15 ms
//   miss: time to first byte minus calling the fake directly for the same kind of request
//                                                 target p50 <= 10 ms added
import { spawn } from 'node:child_process';
import { SignJWT } from 'jose';
import postgres from 'postgres';
import { freePort, startEmbeddedPostgres } from '../scripts/db/embedded.ts';
import { migrateDatabase, PROJECT_ROOT } from '../scripts/db/migrate.ts';
import { DENO_ENV, denoBinary } from '../scripts/functions/deno_binary.ts';
import { startElevenLabsFake } from '../test/fakes/elevenlabs.ts';

const HIT_RUNS = 300;
const MISS_RUNS = 100;
const JWT_SECRET = 'bench-jwt-secret-that-is-at-least-32-characters';
const VOICE = '21m00Tcm4TlvDq8ikWAM';

async function main(): Promise<void> {
  const pg = await startEmbeddedPostgres();
  const fake = await startElevenLabsFake({ chunkBytes: 8192 });
  let child: ReturnType<typeof spawn> | undefined;
  try {
    await pg.createDatabase('bench');
    const dbUrl = pg.urlFor('bench');
    await migrateDatabase(dbUrl);
    const sql = postgres(dbUrl, { max: 1, onnotice: () => {} });
    const userId = crypto.randomUUID();
    await sql`insert into auth.users (id, email, aud, role, raw_app_meta_data, created_at, updated_at) values (${userId}, 'bench@example.test', 'authenticated', 'authenticated', '{}', now(), now())`;
    await sql.end();
    const now = Math.floor(Date.now() / 1000);
    const token = await new SignJWT({ role: 'authenticated', aud: 'authenticated' })
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject(userId)
      .setIssuedAt(now)
      .setExpirationTime(now + 3600)
      .sign(new TextEncoder().encode(JWT_SECRET));

    const port = await freePort();
    child = spawn(
      denoBinary(),
      ['run', '--allow-net', '--allow-env', '--allow-read', '--allow-sys', 'supabase/functions/_dev/dev_server.ts'],
      {
        cwd: PROJECT_ROOT,
        env: {
          ...process.env,
          ...DENO_ENV,
          FUNCTIONS_PORT: String(port),
          FUNCTIONS_EXIT_WITH_PARENT: '1',
          SUPABASE_DB_URL: dbUrl,
          JWT_SECRET,
          ELEVEN_API_KEY: fake.apiKey,
          ELEVENLABS_BASE_URL: fake.apiBaseUrl,
          LOG_LEVEL: 'info',
          PREVIEW_RATE_MAX_REQUESTS: '1000000',
          PREVIEW_RATE_MAX_CHARACTERS: '100000000',
        },
        stdio: ['pipe', 'pipe', 'inherit'],
      },
    );
    await new Promise<void>((resolve, reject) => {
      child!.stdout!.on('data', (chunk: Buffer) => chunk.toString().includes('listening on') && resolve());
      child!.on('exit', (code) => reject(new Error(`functions gateway exited with ${code}`)));
    });
    const url = `http://127.0.0.1:${port}/functions/v1/voice-preview`;
    const headers = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
    const text = 'Thanks for calling Acme Plumbing, how can I help you today?';

    // Cache hit: warm once, then measure the whole body.
    await (
      await fetch(url, { method: 'POST', headers, body: JSON.stringify({ voice_id: VOICE, text }) })
    ).arrayBuffer();
    await new Promise((resolve) => setTimeout(resolve, 200));
    const hits: number[] = [];
    let bytes = 0;
    for (let i = 0; i < HIT_RUNS + 20; i++) {
      const start = performance.now();
      const res = await fetch(url, { method: 'POST', headers, body: JSON.stringify({ voice_id: VOICE, text }) });
      const body = await res.arrayBuffer();
      if (res.headers.get('x-cache') !== 'HIT')
        throw new Error(`expected a cache hit, got ${res.status} ${res.headers.get('x-cache')}`);
      if (i >= 20) hits.push(performance.now() - start);
      bytes = body.byteLength;
    }

    // Miss: time to first byte, through the function vs. straight to the fake.
    const direct: number[] = [];
    const through: number[] = [];
    for (let i = 0; i < MISS_RUNS + 10; i++) {
      const missText = `${text} Run ${i}.`;
      const d = await firstByte(
        `${fake.apiBaseUrl}/text-to-speech/${VOICE}/stream?output_format=mp3_44100_128`,
        { 'xi-api-key': fake.apiKey, 'content-type': 'application/json' },
        { text: missText, model_id: 'eleven_flash_v2_5' },
      );
      const t = await firstByte(url, headers, { voice_id: VOICE, text: `${missText} ` });
      if (i >= 10) {
        direct.push(d);
        through.push(t);
      }
    }
    const added = percentile(through, 50) - percentile(direct, 50);
    console.log(`voice-preview bench (loopback, fake at 0 ms, ${bytes} B preview)`);
    console.log(
      `  cache hit, whole body   p50 ${fmt(percentile(hits, 50))}  p90 ${fmt(percentile(hits, 90))}  p99 ${fmt(percentile(hits, 99))}  (target p50 <= 15 ms) ${percentile(hits, 50) <= 15 ? 'OK' : 'MISSED'}`,
    );
    console.log(`  miss, first byte: fake  p50 ${fmt(percentile(direct, 50))}  p90 ${fmt(percentile(direct, 90))}`);
    console.log(`  miss, first byte: fn    p50 ${fmt(percentile(through, 50))}  p90 ${fmt(percentile(through, 90))}`);
    console.log(`  miss, added to first byte p50 ${fmt(added)}  (target <= 10 ms) ${added <= 10 ? 'OK' : 'MISSED'}`);
  } finally {
    child?.kill('SIGTERM');
    await fake.close();
    await pg.stop();
  }
}

async function firstByte(url: string, headers: Record<string, string>, body: unknown): Promise<number> {
  const start = performance.now();
  const res = await fetch(url, { method: 'POST', headers, body: JSON.stringify(body) });
  const reader = res.body!.getReader();
  const first = await reader.read();
  const elapsed = performance.now() - start;
  if (res.status !== 200 || first.done) throw new Error(`expected audio from ${url}, got ${res.status}`);
  for (let chunk = await reader.read(); !chunk.done; chunk = await reader.read());
  return elapsed;
}

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

const fmt = (ms: number) => `${ms.toFixed(2)} ms`.padStart(9);

main().catch((error) => {
  console.error(`bench:voice-preview: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
