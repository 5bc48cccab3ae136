import { describe, expect, it } from 'vitest';
import { WORKER_DEV_SERVICE } from './dev_service.ts';

const DB = 'postgresql://postgres:postgres@127.0.0.1:1/none';

describe('npm run dev: the worker service', () => {
  it('says exactly which LiveKit variables to set, with the livekit-server --dev values', async () => {
    const result = await WORKER_DEV_SERVICE.start({ databaseUrl: DB, env: { LIVEKIT_URL: 'ws://127.0.0.1:7880' } });
    expect(result).toEqual({
      skipped: expect.stringMatching(
        /^set LIVEKIT_API_KEY, LIVEKIT_API_SECRET to start the agent worker \(local LiveKit: run `livekit-server --dev`.*devkey.*secret/,
      ),
    });
  });

  it('names the missing provider keys once LiveKit is set', async () => {
    const result = await WORKER_DEV_SERVICE.start({
      databaseUrl: DB,
      env: {
        LIVEKIT_URL: 'ws://127.0.0.1:7880',
        LIVEKIT_API_KEY: 'devkey',
        LIVEKIT_API_SECRET: 'secret',
        OPENAI_API_KEY: 'sk-x',
      },
    });
    expect('skipped' in result && result.skipped).toMatch(/DEEPGRAM_API_KEY .*ELEVEN_API_KEY/);
  });

  it('starts the worker on the local database and stops it', async () => {
    const result = await WORKER_DEV_SERVICE.start({
      databaseUrl: DB,
      env: {
        PATH: process.env.PATH,
        LIVEKIT_URL: 'ws://127.0.0.1:1',
        LIVEKIT_API_KEY: 'devkey',
        LIVEKIT_API_SECRET: 'secret',
        OPENAI_API_KEY: 'sk-x',
        DEEPGRAM_API_KEY: 'dg',
        ELEVEN_API_KEY: 'el',
        PORT: '0',
        LOG_LEVEL: 'fatal',
      },
    });
    if (!('summary' in result)) throw new Error(`not started: ${result.skipped}`);
    expect(result.summary).toMatch(
      /^"SW Telephony Agent" on ws:\/\/127\.0\.0\.1:1, health http:\/\/127\.0\.0\.1:0\/ \(pid \d+\)$/,
    );
    await result.stop();
  });
});
