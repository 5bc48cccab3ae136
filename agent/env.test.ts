import { describe, expect, it } from 'vitest';
import { DEFAULT_AGENT_NAME } from '../shared/agent_name.ts';
import { DEFAULT_PROVIDER_DEADLINES } from './call/provider_deadlines.ts';
import { DEFAULT_HEALTH_PORT, loadTextCallEnv, loadWorkerEnv } from './env.ts';

const GOOD = {
  LIVEKIT_URL: 'ws://127.0.0.1:7880',
  LIVEKIT_API_KEY: 'devkey',
  LIVEKIT_API_SECRET: 'secret',
  OPENAI_API_KEY: 'sk-x',
  DEEPGRAM_API_KEY: 'dg-x',
  ELEVEN_API_KEY: 'el-x',
  DATABASE_URL: 'postgresql://postgres:postgres@127.0.0.1:54322/switchboard',
};

describe('loadWorkerEnv', () => {
  it('reads a complete environment with the shared agent name and health port defaults', () => {
    const env = loadWorkerEnv(GOOD);
    expect(env.agentName).toBe(DEFAULT_AGENT_NAME);
    expect(env.port).toBe(DEFAULT_HEALTH_PORT);
    expect(env.backend).toEqual({ kind: 'postgres', databaseUrl: GOOD.DATABASE_URL });
  });

  it('takes AGENT_NAME and PORT overrides and prefers Supabase when its URL and key are set', () => {
    const env = loadWorkerEnv({
      ...GOOD,
      AGENT_NAME: 'Staging Agent',
      PORT: '10000',
      SUPABASE_URL: 'https://x.supabase.co',
      SUPABASE_SERVICE_ROLE_KEY: 'srk',
    });
    expect(env.agentName).toBe('Staging Agent');
    expect(env.port).toBe(10000);
    expect(env.backend.kind).toBe('supabase');
  });

  it('names every missing or malformed variable in one message', () => {
    const { OPENAI_API_KEY: _o, DATABASE_URL: _d, ...rest } = GOOD;
    const attempt = () =>
      loadWorkerEnv({
        ...rest,
        LIVEKIT_URL: 'not a url',
        PORT: 'eighty',
        ELEVENLABS_API_KEY: 'wrong-name',
        ELEVEN_API_KEY: '',
      });
    expect(attempt).toThrow(/LIVEKIT_URL \(must be a ws\/wss\/http\/https URL/);
    const message = (() => {
      try {
        attempt();
        return '';
      } catch (error) {
        return (error as Error).message;
      }
    })();
    for (const name of ['LIVEKIT_URL', 'OPENAI_API_KEY', 'ELEVEN_API_KEY', 'PORT', 'DATABASE_URL or SUPABASE_URL'])
      expect(message).toContain(name);
    expect(message).not.toContain('wrong-name');
  });

  it('asks for the missing half of the Supabase pair', () => {
    const { DATABASE_URL: _d, ...rest } = GOOD;
    expect(() => loadWorkerEnv({ ...rest, SUPABASE_URL: 'https://x.supabase.co' })).toThrow(
      /SUPABASE_SERVICE_ROLE_KEY \(required with SUPABASE_URL/,
    );
  });
});

describe('loadTextCallEnv', () => {
  it('falls back to the local stack database on its default port', () => {
    const env = loadTextCallEnv({ OPENAI_API_KEY: 'sk-x' });
    expect(env.backend).toEqual({
      kind: 'postgres',
      databaseUrl: 'postgresql://postgres:postgres@127.0.0.1:54322/switchboard',
    });
    expect(env.usingDevDatabase).toBe(true);
  });

  it('follows DEV_DB_PORT to the local stack database', () => {
    const env = loadTextCallEnv({ OPENAI_API_KEY: 'sk-x', DEV_DB_PORT: '40123' });
    expect(env.backend).toEqual({
      kind: 'postgres',
      databaseUrl: 'postgresql://postgres:postgres@127.0.0.1:40123/switchboard',
    });
  });

  it('prefers DATABASE_URL over the local stack', () => {
    const env = loadTextCallEnv({
      OPENAI_API_KEY: 'sk-x',
      DEV_DB_PORT: '40123',
      DATABASE_URL: 'postgresql://u:p@db.example:5432/x',
    });
    expect(env.backend).toEqual({ kind: 'postgres', databaseUrl: 'postgresql://u:p@db.example:5432/x' });
    expect(env.usingDevDatabase).toBe(false);
  });

  it('names a DEV_DB_PORT that is not a port', () => {
    expect(() => loadTextCallEnv({ OPENAI_API_KEY: 'sk-x', DEV_DB_PORT: 'abc' })).toThrow(
      /DEV_DB_PORT must be a TCP port \(1-65535\), got 'abc'/,
    );
  });
});

describe('provider deadlines from the environment', () => {
  it('uses the documented defaults when none is set', () => {
    expect(loadWorkerEnv(GOOD).deadlines).toEqual(DEFAULT_PROVIDER_DEADLINES);
  });

  it('takes each override in milliseconds and keeps the defaults for the rest', () => {
    const env = loadWorkerEnv({
      ...GOOD,
      TTS_FIRST_AUDIO_TIMEOUT_MS: '900',
      LLM_STREAM_GAP_TIMEOUT_MS: '3000',
      CALL_END_DRAIN_TIMEOUT_MS: '1500',
    });
    expect(env.deadlines).toEqual({
      ...DEFAULT_PROVIDER_DEADLINES,
      ttsFirstAudioMs: 900,
      llmStreamGapMs: 3000,
      endDrainMs: 1500,
    });
  });

  it('names every malformed deadline', () => {
    const attempt = () =>
      loadWorkerEnv({
        ...GOOD,
        TTS_CHUNK_GAP_TIMEOUT_MS: '2s',
        LLM_FIRST_TOKEN_TIMEOUT_MS: '0',
        STT_RESPONSE_TIMEOUT_MS: '-5',
      });
    expect(attempt).toThrow(/TTS_CHUNK_GAP_TIMEOUT_MS.*LLM_FIRST_TOKEN_TIMEOUT_MS.*STT_RESPONSE_TIMEOUT_MS/);
  });
});
