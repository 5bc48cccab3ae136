// The Deno binary the `deno` npm package installed. It is a native executable: spawn it
// directly, never through process.execPath (that is Node).
import { existsSync } from 'node:fs';
import path from 'node:path';
import { PROJECT_ROOT } from '../db/migrate.ts';

export function denoBinary(): string {
  const exe = process.platform === 'win32' ? 'deno.exe' : 'deno';
  const arch = process.arch === 'arm64' ? 'arm64' : 'x64';
  const platformPackage =
    process.platform === 'linux'
      ? `linux-${arch}-glibc`
      : process.platform === 'darwin'
        ? `darwin-${arch}`
        : `win32-${arch}`;
  const candidates = [
    path.join(PROJECT_ROOT, 'node_modules/deno', exe),
    path.join(PROJECT_ROOT, 'node_modules/@deno', platformPackage, exe),
  ];
  const found = candidates.find((candidate) => existsSync(candidate));
  if (!found)
    throw new Error(
      `Deno is not installed (looked in ${candidates.map((c) => path.relative(PROJECT_ROOT, c)).join(', ')}). Run npm install.`,
    );
  return found;
}

/**
 * Environment every Deno child gets: no update check, plain logs, and the root package.json
 * ignored (Deno would otherwise fetch every Node dependency listed there, about 1 GB, on a cold
 * cache; the functions need only the import map in deno.json).
 */
export const DENO_ENV = { DENO_NO_UPDATE_CHECK: '1', NO_COLOR: '1', DENO_NO_PACKAGE_JSON: '1' } as const;
