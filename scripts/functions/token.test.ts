// `npm run functions:token` finds the local stack where DEV_DB_PORT puts it.
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { authOptionsFromEnv, createAuthenticator } from '../../supabase/functions/_shared/auth.ts';
import type { PlatformEnv } from '../../supabase/functions/_shared/env.ts';
import { createTestDatabase } from '../../test/db/harness.ts';
import { freePort } from '../db/embedded.ts';
import { DEV_JWT_SECRET } from './dev_service.ts';

const SCRIPT = path.join(import.meta.dirname, 'token.ts');

describe('npm run functions:token', () => {
  it('without DATABASE_URL, connects to the local stack on DEV_DB_PORT', async () => {
    const port = await freePort();
    const result = spawnSync(process.execPath, [SCRIPT], {
      env: { PATH: process.env.PATH, DEV_DB_PORT: String(port) },
      encoding: 'utf8',
      timeout: 20_000,
    });
    expect(result.status).toBe(4);
    expect(result.stderr).toContain(`127.0.0.1:${port}`);
    expect(result.stderr).toContain('Start it with npm run dev, or set DATABASE_URL.');
  });

  it('names a DEV_DB_PORT that is not a port', () => {
    const result = spawnSync(process.execPath, [SCRIPT], {
      env: { PATH: process.env.PATH, DEV_DB_PORT: '99999' },
      encoding: 'utf8',
      timeout: 20_000,
    });
    expect(result.status).toBe(3);
    expect(result.stderr).toContain("DEV_DB_PORT must be a TCP port (1-65535), got '99999'");
  });

  it('signs a token the local functions accept, as npm run dev configures them', async () => {
    const db = await createTestDatabase();
    try {
      const env = { PATH: process.env.PATH, DATABASE_URL: db.url, FUNCTIONS_PORT: '54329' };
      const result = spawnSync(process.execPath, [SCRIPT, '--email', 'dev-token@example.test'], {
        env,
        encoding: 'utf8',
        timeout: 20_000,
      });
      expect(result.stderr).toBe('');
      expect(result.status).toBe(0);
      // dev_service.ts: SUPABASE_URL is the gateway on FUNCTIONS_PORT, JWT_SECRET the dev secret
      const auth = createAuthenticator(
        authOptionsFromEnv({ SUPABASE_URL: 'http://127.0.0.1:54329', JWT_SECRET: DEV_JWT_SECRET } as PlatformEnv),
      );
      const request = new Request('http://127.0.0.1:54329/functions/v1/x', {
        headers: { authorization: `Bearer ${result.stdout.trim()}` },
      });
      const caller = await auth.authenticate(request);
      const [user] = await db.sql`select id from auth.users where email = 'dev-token@example.test'`;
      expect(caller).toMatchObject({ role: 'authenticated', userId: user!.id });
    } finally {
      await db.close();
    }
  });
});
