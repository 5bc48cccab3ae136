// Stale hub sockets: the file a SIGKILLed process leaves is removed; a live hub's socket, the
// starting worker's own and files that are not hub sockets stay.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { removeStaleHubSockets } from './stale_hub_sockets.ts';

let dir: string;
const servers: Server[] = [];

beforeEach(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'hub-sockets-'));
});
afterEach(async () => {
  for (const server of servers.splice(0)) await new Promise((resolve) => server.close(resolve));
  await rm(dir, { recursive: true, force: true });
});

/** A socket file whose listener was SIGKILLed, so nothing removed it. */
async function killedListener(socket: string): Promise<void> {
  const child = spawn(
    process.execPath,
    ['-e', `require('node:net').createServer().listen(${JSON.stringify(socket)}, () => console.log('ready'))`],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  await new Promise<void>((resolve, reject) => {
    child.stdout.once('data', () => resolve());
    child.once('exit', (code) => reject(new Error(`listener exited with ${code} before listening`)));
  });
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGKILL');
  await exited;
}

async function liveListener(socket: string): Promise<void> {
  const server = createServer((connection) => connection.end());
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(socket, resolve));
}

describe('stale hub sockets', () => {
  it('removes the socket of a killed worker and keeps the live one, its own and other files', async () => {
    const stale = path.join(dir, 'switchboard-hub-900001.sock');
    const live = path.join(dir, 'switchboard-hub-900002.sock');
    const own = path.join(dir, 'switchboard-hub-900003.sock');
    const other = path.join(dir, 'other.sock');
    await killedListener(stale);
    await killedListener(own);
    await liveListener(live);
    await writeFile(other, '');
    expect(existsSync(stale)).toBe(true);

    const removed = await removeStaleHubSockets(dir, own);

    expect(removed).toEqual([stale]);
    expect([existsSync(stale), existsSync(live), existsSync(own), existsSync(other)]).toEqual([
      false,
      true,
      true,
      true,
    ]);
  });

  it('a directory that cannot be read: nothing removed, no error', async () => {
    expect(await removeStaleHubSockets(path.join(dir, 'missing'), '')).toEqual([]);
  });
});
