// What the density bench stands on, started once: the caller's speech, the providers and LiveKit
// faked in their own process, an embedded Postgres migrated like production with one number and
// config per call, the worker's hub in this process (as agent/main.ts runs it before the framework
// forks), the host's inference process, and the environment every job process inherits.
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import postgres from 'postgres';
import { type RunningHub, startHub } from '../../agent/host/start_hub.ts';
import { startBenchDatabase } from '../_database.ts';
import { CALLER_SAMPLE_RATE, callerUtterances } from '../../agent/testing/caller_speech.ts';
import type { BareProviders } from './bare_agent.ts';
import type { FakesAddress } from './fakes_process.ts';
import { DENSITY_ENV } from './job_protocol.ts';
import { withinMs } from './deadline.ts';

/** The application_name of every worker connection, to count them in pg_stat_activity. */
export const DB_APPLICATION = 'switchboard_density';
const RACHEL = '21m00Tcm4TlvDq8ikWAM';

export interface BenchWorld {
  fakes: FakesAddress;
  numbers: string[];
  /** Seconds of speech per sentence, for the report. */
  sentenceMs: number[];
  workDir: string;
  /** Worker connections open now (pg_stat_activity, by application_name). */
  dbConnections(): Promise<number>;
  /** Seeds a room on the LiveKit fake for a call (the hang-up deletes it). */
  addRoom(dialed: string, caller: string): Promise<string>;
  close(): Promise<void>;
}

export async function startBenchWorld(maxCalls: number): Promise<BenchWorld> {
  const workDir = mkdtempSync(path.join(tmpdir(), 'switchboard-density-'));
  const speech = await withinMs(callerUtterances(), 60_000, 'generating the caller speech with eSpeak NG');
  const speechFile = path.join(workDir, 'caller_speech.json');
  const utterances = speech.map((u) => Buffer.from(u.buffer, u.byteOffset, u.byteLength).toString('base64'));
  writeFileSync(speechFile, JSON.stringify({ sampleRate: CALLER_SAMPLE_RATE, utterances }));

  const fakesChild = spawn(process.execPath, [fileURLToPath(new URL('./fakes_process.ts', import.meta.url))], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const fakes = await withinMs(firstLine(fakesChild), 30_000, 'starting the provider fakes');

  const database = await withinMs(startBenchDatabase('density'), 120_000, 'starting embedded Postgres');
  const url = new URL(database.url);
  url.searchParams.set('application_name', DB_APPLICATION);
  const databaseUrl = url.toString();
  const sql = postgres(database.url, { max: 1, onnotice: () => {}, connection: { application_name: 'density_bench' } });
  const numbers = await withinMs(seedNumbers(sql, maxCalls), 60_000, 'seeding numbers and configs');

  const backend = { kind: 'postgres' as const, databaseUrl };
  const hub: RunningHub = await withinMs(startHub({ backend, dbTimeoutMs: 5_000 }), 30_000, 'starting the hub');
  const bare: BareProviders = {
    deepgram: fakes.deepgram,
    openai: fakes.openai,
    eleven: { ...fakes.eleven, voiceId: RACHEL },
  };
  Object.assign(process.env, {
    DATABASE_URL: databaseUrl,
    WORKER_HUB_SOCKET: hub.socketPath,
    LIVEKIT_URL: fakes.livekit.url,
    LIVEKIT_API_KEY: fakes.livekit.apiKey,
    LIVEKIT_API_SECRET: fakes.livekit.apiSecret,
    OPENAI_API_KEY: fakes.openai.apiKey,
    OPENAI_BASE_URL: fakes.openai.baseUrl,
    DEEPGRAM_API_KEY: fakes.deepgram.apiKey,
    DEEPGRAM_BASE_URL: fakes.deepgram.baseUrl,
    ELEVEN_API_KEY: fakes.eleven.apiKey,
    ELEVENLABS_BASE_URL: fakes.eleven.baseUrl,
    [DENSITY_ENV.speechFile]: speechFile,
    [DENSITY_ENV.bareProviders]: JSON.stringify(bare),
  });

  return {
    fakes,
    numbers,
    sentenceMs: speech.map((u) => (u.length * 1000) / CALLER_SAMPLE_RATE),
    workDir,
    async dbConnections() {
      const [row] = await withinMs(
        sql<
          { n: number }[]
        >`select count(*)::int as n from pg_stat_activity where application_name = ${DB_APPLICATION}`,
        5_000,
        'counting connections',
      );
      return row?.n ?? 0;
    },
    async addRoom(dialed, caller) {
      const res = await fetch(`${fakes.livekit.url}/__fake/call`, {
        method: 'POST',
        body: JSON.stringify({ caller, called: dialed, trunkId: 'ST_1', ruleId: 'SDR_1' }),
        signal: AbortSignal.timeout(5_000),
      });
      return ((await res.json()) as { room: string }).room;
    },
    async close() {
      await withinMs(hub.close(), 10_000, 'closing the hub').catch(() => {});
      await sql.end({ timeout: 5 });
      fakesChild.stdin?.end();
      fakesChild.kill();
      await withinMs(database.stop(), 30_000, 'stopping Postgres').catch(() => {});
      rmSync(workDir, { recursive: true, force: true });
    },
  };
}

function firstLine(child: ChildProcess): Promise<FakesAddress> {
  return new Promise((resolve, reject) => {
    let buffered = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      buffered += chunk.toString('utf8');
      const newline = buffered.indexOf('\n');
      if (newline >= 0) resolve(JSON.parse(buffered.slice(0, newline)) as FakesAddress);
    });
    child.once('exit', (code) => reject(new Error(`the fakes process exited (${code}) before it listened`)));
  });
}

/** One owner, config and number per call, in three set-based statements (as bench/call_setup.ts). */
async function seedNumbers(sql: postgres.Sql, count: number): Promise<string[]> {
  await sql`insert into auth.users (id, email, aud, role, raw_app_meta_data, raw_user_meta_data, created_at, updated_at)
            select gen_random_uuid(), 'density-' || n || '@example.test', 'authenticated', 'authenticated', '{}', '{}', now(), now()
              from generate_series(1, ${count}) n`;
  await sql`insert into public.agent_configs (owner_id, name, greeting, system_prompt)
            select u.id, 'Density', 'Thanks for calling!', 'You are a friendly receptionist. Keep answers short.'
              from auth.users u where u.email like 'density-%'`;
  const rows = await sql<{ e164: string }[]>`
    insert into public.phone_numbers (e164, owner_id, agent_config_id)
    select '+1557' || lpad(row_number() over ()::text, 7, '0'), c.owner_id, c.id
      from public.agent_configs c where c.name = 'Density'
    returning e164`;
  return rows.map((r) => r.e164).sort();
}
