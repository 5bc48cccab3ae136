// Embedded Postgres as root runs as the `postgres` user, who cannot enter a folder only root may
// (a clone under /root, a mkdtemp folder). These tests put the cluster under such a folder and
// check that the server still starts, keeps its data across restarts, and is found again.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import path from 'node:path';
import postgres from 'postgres';
import { afterAll, describe, expect, it } from 'vitest';
import { startEmbeddedPostgres } from './embedded.ts';
import { canReach, postgresServerUser } from './postgres_user.ts';
import { reachableDataDir, throwawayDataParent } from './server_places.ts';

const asRoot = userInfo().uid === 0 && postgresServerUser() !== null;
const privateDir = mkdtempSync(path.join(tmpdir(), 'root-only-')); // mode 0700, like /root

afterAll(() => rmSync(privateDir, { recursive: true, force: true }));

describe.runIf(asRoot)('embedded Postgres under a folder only root can enter', () => {
  it('sees that the postgres user cannot enter the folder', () => {
    expect(canReach(postgresServerUser(), privateDir)).toBe(false);
  });

  it('moves the data to a folder the server can reach, the same one for the same project path', () => {
    const user = postgresServerUser();
    const preferred = path.join(privateDir, 'project', '.data', 'dev', 'pg');
    const first = reachableDataDir(user, preferred);
    expect(first).not.toBe(preferred);
    expect(canReach(user, path.dirname(first))).toBe(true);
    expect(reachableDataDir(user, preferred)).toBe(first);
  });

  it('starts a persistent cluster there and finds its data again after a restart', async () => {
    const dataDir = path.join(privateDir, 'project', '.data', 'dev', 'pg');
    const first = await startEmbeddedPostgres({ dataDir });
    try {
      const sql = postgres(first.adminUrl, { max: 1, connect_timeout: 10, onnotice: () => {} });
      await sql`create table kept (id int)`;
      await sql`insert into kept values (42)`;
      await sql.end({ timeout: 5 });
    } finally {
      await first.stop();
    }
    const second = await startEmbeddedPostgres({ dataDir });
    try {
      expect(second.dataDir).toBe(first.dataDir);
      const sql = postgres(second.adminUrl, { max: 1, connect_timeout: 10, onnotice: () => {} });
      expect(await sql`select id from kept`).toEqual([{ id: 42 }]);
      await sql.end({ timeout: 5 });
    } finally {
      await second.stop();
      rmSync(path.dirname(second.dataDir), { recursive: true, force: true });
    }
  });

  it('removes the cluster folder of a process that was killed before it could clean up', async () => {
    const { mkdirSync, existsSync } = await import('node:fs');
    const { spawnSync } = await import('node:child_process');
    const dead = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], {
      encoding: 'utf8',
    }).stdout;
    const parent = throwawayDataParent(postgresServerUser());
    const orphan = path.join(path.dirname(parent), `cluster-${dead}-left`);
    mkdirSync(orphan);
    rmSync(parent, { recursive: true, force: true });
    const next = throwawayDataParent(postgresServerUser());
    expect(existsSync(orphan)).toBe(false);
    expect(existsSync(next)).toBe(true);
    rmSync(next, { recursive: true, force: true });
  });

  it('leaves no password file behind in the shared temp folder', async () => {
    const { readdirSync } = await import('node:fs');
    const before = readdirSync(tmpdir()).filter((name) => name.startsWith('pg-password-'));
    const server = await startEmbeddedPostgres();
    await server.stop();
    const after = readdirSync(tmpdir()).filter((name) => name.startsWith('pg-password-'));
    expect(after).toEqual(before);
  });
});
