// `npm run functions:token` finds the local stack where DEV_DB_PORT puts it.
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { freePort } from '../db/embedded.ts';

const SCRIPT = path.join(import.meta.dirname, 'token.ts');

describe('npm run functions:token', () => {
  it('without DATABASE_URL, connects to the local stack on DEV_DB_PORT', async () => {
    const port = await freePort();
    const result = spawnSync(process.execPath, [SCRIPT], { env: { PATH: process.env.PATH, DEV_DB_PORT: String(port) }, encoding: 'utf8', timeout: 20_000 });
    expect(result.status).toBe(4);
    expect(result.stderr).toContain(`127.0.0.1:${port}`);
    expect(result.stderr).toContain('Start it with npm run dev, or set DATABASE_URL.');
  });

  it('names a DEV_DB_PORT that is not a port', () => {
    const result = spawnSync(process.execPath, [SCRIPT], { env: { PATH: process.env.PATH, DEV_DB_PORT: '99999' }, encoding: 'utf8', timeout: 20_000 });
    expect(result.status).toBe(3);
    expect(result.stderr).toContain("DEV_DB_PORT must be a TCP port (1-65535), got '99999'");
  });
});
