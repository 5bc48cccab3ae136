// Shared setup for the CLI tests: the LiveKit fake, the worker health fake, a migrated test
// database with one configured number, and runSip with captured output.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { SipClient } from 'livekit-server-sdk';
import { createTestDatabase, type TestDatabase } from '../../test/db/harness.ts';
import { FakeLiveKit } from '../../test/fakes/livekit.ts';
import { FakeWorkerHealth } from '../../test/fakes/livekit_worker_health.ts';
import { runSip } from './cli.ts';

export const NUMBER = '+15551230001';

export interface SipWorld {
  livekit: FakeLiveKit;
  worker: FakeWorkerHealth;
  db: TestDatabase;
  env: Record<string, string>;
  backupDir: string;
  sip: SipClient;
  run(
    argv: string[],
    extraEnv?: Record<string, string | undefined>,
  ): Promise<{ code: number; stdout: string; stderr: string }>;
  close(): Promise<void>;
}

export async function startSipWorld(): Promise<SipWorld> {
  const [livekit, worker, db] = await Promise.all([
    FakeLiveKit.start(),
    FakeWorkerHealth.start(),
    createTestDatabase(),
  ]);
  const owner = await db.createUser();
  const [config] =
    await db.sql`insert into public.agent_configs (owner_id, name) values (${owner.userId!}, 'Front desk') returning id`;
  await db.sql`insert into public.phone_numbers (e164, owner_id, agent_config_id, label) values (${NUMBER}, ${owner.userId!}, ${config!.id}, 'Main line')`;
  const backupDir = mkdtempSync(path.join(tmpdir(), 'sip-backups-'));
  const env = {
    LIVEKIT_URL: livekit.url,
    LIVEKIT_API_KEY: livekit.apiKey,
    LIVEKIT_API_SECRET: livekit.apiSecret,
    DATABASE_URL: db.url,
    WORKER_HEALTH_URL: worker.url,
    SIP_ALLOWED_ADDRESSES: '203.0.113.0/24',
    SIP_BACKUP_DIR: backupDir,
    ELEVEN_API_KEY: 'test-eleven',
    DEEPGRAM_API_KEY: 'test-deepgram',
    OPENAI_API_KEY: 'test-openai',
  };
  return {
    livekit,
    worker,
    db,
    env,
    backupDir,
    sip: new SipClient(livekit.url, livekit.apiKey, livekit.apiSecret),
    async run(argv, extraEnv = {}) {
      const stdout: string[] = [];
      const stderr: string[] = [];
      const code = await runSip(argv, {
        env: { ...env, ...extraEnv },
        out: { stdout: (t) => stdout.push(t), stderr: (t) => stderr.push(t), colour: false },
      });
      return { code, stdout: stdout.join('\n'), stderr: stderr.join('\n') };
    },
    async close() {
      await Promise.all([livekit.close(), worker.close(), db.close()]);
      rmSync(backupDir, { recursive: true, force: true });
    },
  };
}
