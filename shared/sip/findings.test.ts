import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { FINDING_CATALOG, FINDING_CODES } from './findings.ts';

const README = readFileSync(path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../README.md'), 'utf8');

describe('finding codes', () => {
  it('are listed in the README Telephony table with their fix, and nothing else is', () => {
    const section = README.slice(README.indexOf('### Doctor findings'), README.indexOf('### Recovery'));
    const rows = [...section.matchAll(/^\| `([a-z_]+)` \| (\w+) \| (\w+) \|.*\| (.+) \|$/gm)];
    expect(rows.map((r) => r[1]).sort()).toEqual([...FINDING_CODES].sort());
    for (const [, code, stage, severity, fix] of rows) {
      const entry = FINDING_CATALOG[code as keyof typeof FINDING_CATALOG];
      expect([stage, severity, fix!.replace(/\\\|/g, '|')]).toEqual([entry.stage, entry.severity, entry.fix]);
    }
  });

  it('are stable snake_case names', () => {
    for (const code of FINDING_CODES) expect(code).toMatch(/^[a-z][a-z0-9_]{2,63}$/);
  });
});
