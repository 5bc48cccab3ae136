// Hub socket files left behind by workers that did not exit cleanly (SIGKILL, the OOM killer, a
// crash skips the exit hook that removes them). A starting worker removes the ones nobody listens
// on, so they do not pile up in the temp directory or show up in `npm run worker:stats`. A connect
// probe decides, not a pid check: a worker in another container sharing the directory has a pid
// this one cannot see, and its live hub must stay.
import { readdir, unlink } from 'node:fs/promises';
import { createConnection } from 'node:net';
import path from 'node:path';

const HUB_SOCKET_NAME = /^switchboard-hub-\d+\.sock$/;

/** Removes the hub sockets in `dir` (other than `keep`) that refuse connections; returns their paths. */
export async function removeStaleHubSockets(dir: string, keep: string, probeTimeoutMs = 500): Promise<string[]> {
  const names = await readdir(dir).catch(() => [] as string[]);
  const candidates = names
    .filter((name) => HUB_SOCKET_NAME.test(name))
    .map((name) => path.join(dir, name))
    .filter((socket) => socket !== keep);
  const removed: string[] = [];
  for (const socket of candidates) {
    if ((await probe(socket, probeTimeoutMs)) !== 'refused') continue;
    await unlink(socket).then(
      () => removed.push(socket),
      () => {},
    );
  }
  return removed;
}

/** 'refused' only when nothing listens; a timeout or another error leaves the file alone. */
function probe(socket: string, timeoutMs: number): Promise<'live' | 'refused' | 'unknown'> {
  return new Promise((resolve) => {
    const connection = createConnection(socket);
    const finish = (outcome: 'live' | 'refused' | 'unknown') => {
      clearTimeout(timer);
      connection.destroy();
      resolve(outcome);
    };
    const timer = setTimeout(() => finish('unknown'), timeoutMs);
    connection.once('connect', () => finish('live'));
    connection.once('error', (error: NodeJS.ErrnoException) =>
      finish(error.code === 'ECONNREFUSED' ? 'refused' : 'unknown'),
    );
  });
}
