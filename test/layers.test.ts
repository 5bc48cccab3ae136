// Imports between runtimes go one way. `shared/` is pure and runtime-neutral; the edge functions,
// the worker, the dispatcher and the operator CLI build on it; benchmarks and tests build on
// everything. This test reads every import in the tree (static, re-exports, dynamic and
// type-only) and fails on one that points up a layer, on production code that imports a test
// helper, and on any circular import among project files.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const SCANNED = ['shared', 'supabase/functions', 'supabase/tests', 'agent', 'dispatcher', 'scripts', 'bench', 'test'];

type Layer = 'shared' | 'functions' | 'agent' | 'dispatcher' | 'scripts' | 'bench' | 'test';

/** Which project layers each layer may import. Package imports are checked separately. */
const MAY_IMPORT: Record<Layer, readonly Layer[]> = {
  shared: ['shared'],
  functions: ['shared', 'functions'],
  agent: ['shared', 'agent'],
  dispatcher: ['shared', 'dispatcher'],
  // The operator CLI runs the worker's and the dispatcher's own code (`npm run call`, the dev stack).
  scripts: ['shared', 'agent', 'dispatcher', 'scripts'],
  bench: ['shared', 'functions', 'agent', 'dispatcher', 'scripts', 'test', 'bench'],
  test: ['shared', 'functions', 'agent', 'dispatcher', 'scripts', 'test'],
};

/** Deliberate exceptions, each with its reason. Keep this list short. */
const ALLOWED: Record<string, string> = {
  // `npm run dev` without ELEVEN_API_KEY serves the ElevenLabs fake so previews work offline.
  'scripts/functions/dev_service.ts -> test/fakes/elevenlabs.ts': 'offline dev stack',
};

/** Test code and its helpers: nothing in production may import these. */
function isTestCode(file: string): boolean {
  return (
    file.startsWith('test/') ||
    file.startsWith('supabase/tests/') ||
    file.startsWith('supabase/functions/tests/') ||
    file.split('/').includes('testing') ||
    /(\.test|_test)\.ts$/.test(file) ||
    /(^|\/)(_test_fixtures|test_support)\.ts$/.test(file) ||
    // `npm run test:deno`: the runner and the fakes it starts for the Deno tests.
    file === 'scripts/functions/test_deno.ts' ||
    file === 'scripts/functions/deno_test_fakes.ts'
  );
}

function layerOf(file: string): Layer {
  if (file.startsWith('bench/')) return 'bench';
  if (isTestCode(file)) return 'test';
  if (file.startsWith('shared/')) return 'shared';
  if (file.startsWith('supabase/functions/')) return 'functions';
  if (file.startsWith('agent/')) return 'agent';
  if (file.startsWith('dispatcher/')) return 'dispatcher';
  if (file.startsWith('scripts/')) return 'scripts';
  throw new Error(`${file}: no layer`);
}

function sourceFiles(dir: string): string[] {
  const files: string[] = [];
  for (const entry of readdirSync(path.join(ROOT, dir))) {
    if (entry === 'node_modules' || entry.startsWith('.')) continue;
    const rel = `${dir}/${entry}`;
    if (statSync(path.join(ROOT, rel)).isDirectory()) files.push(...sourceFiles(rel));
    else if (/\.(ts|mts|tsx)$/.test(entry) && !entry.endsWith('.d.ts')) files.push(rel);
  }
  return files;
}

interface Import {
  from: string;
  specifier: string;
  /** Project file the specifier points at, or null for a package or builtin. */
  to: string | null;
}

function importsOf(file: string): Import[] {
  const info = ts.preProcessFile(readFileSync(path.join(ROOT, file), 'utf8'), true, true);
  return info.importedFiles.map(({ fileName: specifier }) => {
    const relative = specifier.startsWith('./') || specifier.startsWith('../');
    const to = relative ? path.posix.normalize(path.posix.join(path.posix.dirname(file), specifier)) : null;
    return { from: file, specifier, to };
  });
}

const FILES = SCANNED.flatMap(sourceFiles).sort();
const IMPORTS = FILES.flatMap(importsOf);

/** Strongly connected components with more than one file (or a file importing itself). */
function cycles(edges: Import[]): string[][] {
  const next = new Map<string, Set<string>>();
  for (const { from, to } of edges) {
    if (to === null) continue;
    if (!next.has(from)) next.set(from, new Set());
    next.get(from)?.add(to);
  }
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const found: string[][] = [];
  let counter = 0;
  const visit = (v: string): void => {
    index.set(v, counter);
    low.set(v, counter);
    counter += 1;
    stack.push(v);
    onStack.add(v);
    for (const w of next.get(v) ?? []) {
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v) ?? 0, low.get(w) ?? 0));
      } else if (onStack.has(w)) {
        low.set(v, Math.min(low.get(v) ?? 0, index.get(w) ?? 0));
      }
    }
    if (low.get(v) === index.get(v)) {
      const component: string[] = [];
      let w: string | undefined;
      do {
        w = stack.pop();
        if (w === undefined) break;
        onStack.delete(w);
        component.push(w);
      } while (w !== v);
      if (component.length > 1 || next.get(v)?.has(v)) found.push(component.sort());
    }
  };
  for (const file of FILES) if (!index.has(file)) visit(file);
  return found;
}

describe('layers', () => {
  it('finds the files and their imports', () => {
    expect(FILES).toContain('shared/errors.ts');
    expect(IMPORTS.some((i) => i.from === 'agent/main.ts' && i.to !== null)).toBe(true);
  });

  it('resolves every relative import to a file in the tree', () => {
    const known = new Set(FILES);
    const broken = IMPORTS.filter((i) => i.to !== null && !known.has(i.to) && /\.ts$/.test(i.to));
    expect(broken.map((i) => `${i.from} -> ${i.specifier}`)).toEqual([]);
  });

  it('imports only down the layers: shared <- functions, agent, dispatcher, scripts <- bench, tests', () => {
    const violations = IMPORTS.filter(({ from, to }) => {
      if (to === null || !FILES.includes(to)) return false;
      if (`${from} -> ${to}` in ALLOWED) return false;
      return !MAY_IMPORT[layerOf(from)].includes(layerOf(to));
    }).map(({ from, to }) => `${from} (${layerOf(from)}) -> ${to} (${to === null ? '' : layerOf(to)})`);
    expect(violations).toEqual([]);
  });

  it('keeps shared/ runtime-neutral: only shared files and packages, no node:, npm: or URL imports', () => {
    const violations = IMPORTS.filter(
      ({ from, specifier, to }) =>
        layerOf(from) === 'shared' && to === null && /^(node:|npm:|jsr:|https?:)/.test(specifier),
    ).map(({ from, specifier }) => `${from} -> ${specifier}`);
    expect(violations).toEqual([]);
  });

  it('keeps shared/ off runtime globals: no process, Deno, Buffer, require or NodeJS types', () => {
    const runtimeGlobal = /\b(process\.|Deno\.|Buffer\b|require\(|NodeJS\.)/;
    const violations = FILES.filter((file) => layerOf(file) === 'shared').flatMap((file) =>
      readFileSync(path.join(ROOT, file), 'utf8')
        .split('\n')
        .map((line, i) => ({ line, at: `${file}:${i + 1}` }))
        .filter(({ line }) => !/^\s*(\/\/|\*)/.test(line) && runtimeGlobal.test(line))
        .map(({ at, line }) => `${at}: ${line.trim()}`),
    );
    expect(violations).toEqual([]);
  });

  it('has no circular imports among project files', () => {
    expect(cycles(IMPORTS)).toEqual([]);
  });
});
