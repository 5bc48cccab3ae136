import { describe, expect, it } from 'vitest';
import { type CatalogRow, formatSyncReport, isEmptyPlan, planVoiceSync, type UpstreamVoice } from './voices_sync.ts';

const RACHEL = '21m00Tcm4TlvDq8ikWAM';
const ADAM = 'pNInz6obpgDQGcFmaJgB';
const SARAH = 'EXAVITQu4vr4xnSDxMaL';

const row = (voice_id: string, name: string, extra: Partial<CatalogRow> = {}): CatalogRow => ({
  voice_id,
  name,
  category: 'premade',
  labels: {},
  preview_url: null,
  enabled: true,
  is_default: false,
  disabled_by_sync: null,
  ...extra,
});
const listed = (voice_id: string, name: string, extra: Partial<UpstreamVoice> = {}): UpstreamVoice => ({
  voice_id,
  name,
  category: 'premade',
  labels: {},
  preview_url: null,
  ...extra,
});

describe('planVoiceSync', () => {
  const catalog = [row(RACHEL, 'Rachel', { is_default: true }), row(ADAM, 'Adam')];

  it('finds nothing to do when the catalog matches (labels compared by value, not key order)', () => {
    const plan = planVoiceSync(
      [row(RACHEL, 'Rachel', { is_default: true, labels: { a: '1', b: '2' } })],
      [listed(RACHEL, 'Rachel', { labels: { b: '2', a: '1' } })],
    );
    expect(isEmptyPlan(plan)).toBe(true);
    expect(plan.unchanged).toBe(1);
  });

  it('adds new voices, updates changed fields, disables vanished ones', () => {
    const plan = planVoiceSync(catalog, [
      listed(RACHEL, 'Rachel', { preview_url: 'https://cdn.example/r.mp3' }),
      listed(SARAH, 'Sarah'),
    ]);
    expect(plan.inserts.map((v) => v.voice_id)).toEqual([SARAH]);
    expect(plan.updates).toEqual([{ voice_id: RACHEL, changes: { preview_url: 'https://cdn.example/r.mp3' } }]);
    expect(plan.disables).toEqual([{ voice_id: ADAM, name: 'Adam' }]);
    expect(plan.defaultChange).toBeNull();
  });

  it('re-enables only voices the sync disabled, never an operator-disabled one', () => {
    const plan = planVoiceSync(
      [
        row(RACHEL, 'Rachel', { is_default: true }),
        row(ADAM, 'Adam', { enabled: false, disabled_by_sync: 'vanished' }),
        row(SARAH, 'Sarah', { enabled: false }),
      ],
      [listed(RACHEL, 'Rachel'), listed(ADAM, 'Adam'), listed(SARAH, 'Sarah')],
    );
    expect(plan.enables.map((v) => v.voice_id)).toEqual([ADAM]);
  });

  it('moves the default when it vanishes, preferring premade voices', () => {
    const plan = planVoiceSync(catalog, [listed(ADAM, 'Adam'), listed(SARAH, 'Aaron', { category: 'cloned' })]);
    expect(plan.defaultChange).toEqual({ from: RACHEL, to: ADAM });
  });

  it('keeps the default enabled when nothing else could take it', () => {
    const plan = planVoiceSync(
      [row(RACHEL, 'Rachel', { is_default: true })],
      [listed(SARAH, 'Sarah', { category: 'cloned', voice_id: 'bad id' })],
    );
    expect(plan.disables).toEqual([]);
    expect(plan.skipped.map((s) => s.voice_id)).toContain(RACHEL);
  });

  it('picks a default for an empty catalog', () => {
    const plan = planVoiceSync([], [listed(SARAH, 'Sarah'), listed(RACHEL, 'Rachel')]);
    expect(plan.defaultChange).toEqual({ from: null, to: RACHEL });
  });

  it('skips malformed ids and unknown categories, tolerates null fields', () => {
    const plan = planVoiceSync(
      [],
      [
        listed('Rachel', 'Rachel'),
        listed(SARAH, 'Sarah', { category: 'robot' }),
        { voice_id: ADAM, name: null, category: null, labels: null, preview_url: 'ftp://x' },
      ],
    );
    expect(plan.skipped.map((s) => s.voice_id)).toEqual(['Rachel', SARAH]);
    expect(plan.inserts).toEqual([{ voice_id: ADAM, name: ADAM, category: 'premade', labels: {}, preview_url: null }]);
  });

  it("stores no loopback preview URL (the dev fake's port changes on every start), and clears one stored before", () => {
    const loopback = [
      'http://127.0.0.1:54329/previews/x.mp3',
      'http://localhost:8080/x.mp3',
      'http://[::1]:9/x.mp3',
      'http://127.1.2.3/x.mp3',
      'http://0.0.0.0:80/x.mp3',
      'http://app.localhost/x.mp3',
    ];
    for (const url of loopback) {
      const plan = planVoiceSync([], [listed(RACHEL, 'Rachel', { preview_url: url })]);
      expect(plan.inserts[0]!.preview_url, url).toBeNull();
    }
    const stale = planVoiceSync(
      [row(RACHEL, 'Rachel', { is_default: true, preview_url: 'http://127.0.0.1:41234/previews/r.mp3' })],
      [listed(RACHEL, 'Rachel', { preview_url: 'http://127.0.0.1:50123/previews/r.mp3' })],
    );
    expect(stale.updates).toEqual([{ voice_id: RACHEL, changes: { preview_url: null } }]);
    const cdn = planVoiceSync(
      [],
      [listed(RACHEL, 'Rachel', { preview_url: 'https://storage.googleapis.com/eleven-public-prod/r.mp3' })],
    );
    expect(cdn.inserts[0]!.preview_url).toBe('https://storage.googleapis.com/eleven-public-prod/r.mp3');
  });

  it('suffixes clashing names, leaving the voice that already holds the name alone', () => {
    const plan = planVoiceSync(catalog, [listed(RACHEL, 'Rachel'), listed(ADAM, 'Adam'), listed(SARAH, 'rachel')]);
    expect(plan.inserts[0]!.name).toBe('rachel (EXAVIT)');
  });

  it('reports in plain lines, saying when nothing was written', () => {
    const plan = planVoiceSync(catalog, [listed(RACHEL, 'Rachel'), listed(SARAH, 'Sarah')]);
    const lines = formatSyncReport(plan, { dryRun: true });
    expect(lines.at(-1)).toBe(
      'dry run: 1 added, 0 updated, 1 disabled, 0 re-enabled, 1 unchanged, 0 skipped (nothing written)',
    );
  });
});
