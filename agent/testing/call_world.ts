// What a call-flow test stands on: a test database with the worker's real Postgres source and
// store, and the provider and LiveKit fakes on 127.0.0.1. One place to start and stop them, so
// each test file holds only its scenario.
import { initializeLogger } from '@livekit/agents';
import { createTestDatabase, type TestDatabase } from '../../test/db/harness.ts';
import { type FakeDeepgram, startFakeDeepgram } from '../../test/fakes/deepgram.ts';
import { type ElevenLabsFake, startElevenLabsFake } from '../../test/fakes/elevenlabs.ts';
import { FakeLiveKit } from '../../test/fakes/livekit.ts';
import { type FakeOpenAI, startFakeOpenAI } from '../../test/fakes/openai.ts';
import { openPostgresBackends, type PostgresBackends } from './postgres_backends.ts';
import { testLogLevel } from './test_log_level.ts';

export interface CallWorld {
  db: TestDatabase;
  openai: FakeOpenAI;
  eleven: ElevenLabsFake;
  deepgram: FakeDeepgram;
  livekit: FakeLiveKit;
  backends: PostgresBackends;
  close(): Promise<void>;
}

export async function startCallWorld(): Promise<CallWorld> {
  initializeLogger({ pretty: false, level: testLogLevel() });
  const [db, openai, eleven, deepgram, livekit] = await Promise.all([
    createTestDatabase(),
    startFakeOpenAI(),
    startElevenLabsFake(),
    startFakeDeepgram(),
    FakeLiveKit.start(),
  ]);
  const backends = await openPostgresBackends(db.url);
  return {
    db,
    openai,
    eleven,
    deepgram,
    livekit,
    backends,
    async close() {
      await backends.close();
      await Promise.all([db.close(), openai.close(), eleven.close(), deepgram.close(), livekit.close()]);
    },
  };
}
