// What the cache refetches for a change: NOTIFY payloads and Realtime payloads become the same
// signal, and a change matches only the numbers whose resolution it can alter.
import { describe, expect, it } from 'vitest';
import { resolvedFor, testConfig, RACHEL, ADAM } from '../testing/config_rows.ts';
import { changeAffects, isNotOlder } from './change_matching.ts';
import { signalFromNotify, signalFromRealtime } from './change_signal.ts';

const NUMBER = '+15551230000';
const config = testConfig({ version: 3, voice_id: ADAM });
const resolved = resolvedFor(NUMBER, config);

describe('signalFromNotify', () => {
  it('reads the trigger payload, and refuses anything else', () => {
    expect(
      signalFromNotify(
        JSON.stringify({
          table: 'agent_configs',
          op: 'update',
          rows: [
            { id: config.id, version: 4 },
            { id: config.id, version: 3 },
          ],
        }),
      ),
    ).toEqual({
      table: 'agent_configs',
      op: 'update',
      rows: [
        { id: config.id, version: 4 },
        { id: config.id, version: 3 },
      ],
    });
    expect(signalFromNotify('{"table":"voices","op":"update","all":true}')).toEqual({
      table: 'voices',
      op: 'update',
      all: true,
    });
    expect(signalFromNotify('{"table":"calls","op":"update","rows":[]}')).toBeNull();
    expect(signalFromNotify('not json')).toBeNull();
  });
});

describe('signalFromRealtime', () => {
  it('keeps the new version and drops an old record reduced to its key', () => {
    expect(
      signalFromRealtime({
        table: 'agent_configs',
        eventType: 'UPDATE',
        new: { ...config, version: 4 },
        old: { id: config.id },
        errors: null,
      }),
    ).toEqual({ table: 'agent_configs', op: 'update', rows: [{ id: config.id, version: 4 }] });
  });
  it('keeps both versions from a full old row (replica identity full)', () => {
    expect(
      signalFromRealtime({
        table: 'agent_configs',
        eventType: 'UPDATE',
        new: { ...config, version: 4 },
        old: config,
        errors: null,
      }),
    ).toEqual({
      table: 'agent_configs',
      op: 'update',
      rows: [
        { id: config.id, version: 4 },
        { id: config.id, version: 3 },
      ],
    });
  });
  it('treats a payload with errors (e.g. a missing grant) as "everything from that table"', () => {
    expect(
      signalFromRealtime({
        table: 'phone_numbers',
        eventType: 'INSERT',
        new: {},
        old: {},
        errors: ['Error 401: Unauthorized'],
      }),
    ).toEqual({ table: 'phone_numbers', op: 'insert', all: true });
  });
  it('names the rows of a change stripped over the size limit (413) by their keys, or everything when a key is gone', () => {
    const stripped = { id: config.id, version: 4, voice_id: ADAM }; // the long prompt is gone
    expect(
      signalFromRealtime({
        table: 'agent_configs',
        eventType: 'UPDATE',
        new: stripped,
        old: { id: config.id, version: 3 },
        errors: ['Error 413: Payload Too Large'],
      }),
    ).toEqual({
      table: 'agent_configs',
      op: 'update',
      rows: [
        { id: config.id, version: 4 },
        { id: config.id, version: 3 },
      ],
    });
    expect(
      signalFromRealtime({
        table: 'agent_configs',
        eventType: 'UPDATE',
        new: { version: 4 },
        old: {},
        errors: ['Error 413: Payload Too Large'],
      }),
    ).toEqual({ table: 'agent_configs', op: 'update', all: true });
  });
});

describe('changeAffects', () => {
  it('matches a newer version of the cached config, not one the cache already holds', () => {
    expect(
      changeAffects({ table: 'agent_configs', op: 'update', rows: [{ id: config.id, version: 4 }] }, NUMBER, resolved),
    ).toBe(true);
    expect(
      changeAffects({ table: 'agent_configs', op: 'update', rows: [{ id: config.id, version: 3 }] }, NUMBER, resolved),
    ).toBe(false);
    expect(
      changeAffects({ table: 'agent_configs', op: 'delete', rows: [{ id: config.id, version: 3 }] }, NUMBER, resolved),
    ).toBe(true);
    expect(
      changeAffects(
        { table: 'agent_configs', op: 'update', rows: [{ id: crypto.randomUUID(), version: 9 }] },
        NUMBER,
        resolved,
      ),
    ).toBe(false);
  });
  it('matches a phone number by its number or id, and a voice the resolution uses', () => {
    expect(
      changeAffects(
        { table: 'phone_numbers', op: 'insert', rows: [{ e164: NUMBER }] },
        NUMBER,
        resolvedFor(NUMBER, null),
      ),
    ).toBe(true);
    expect(
      changeAffects(
        { table: 'phone_numbers', op: 'delete', rows: [{ id: resolved.phone_number!.id }] },
        NUMBER,
        resolved,
      ),
    ).toBe(true);
    expect(
      changeAffects({ table: 'phone_numbers', op: 'update', rows: [{ e164: '+15559990000' }] }, NUMBER, resolved),
    ).toBe(false);
    expect(changeAffects({ table: 'voices', op: 'update', rows: [{ voice_id: RACHEL }] }, NUMBER, resolved)).toBe(true); // the default voice
    expect(
      changeAffects({ table: 'voices', op: 'update', rows: [{ voice_id: 'EXAVITQu4vr4xnSDxMaL' }] }, NUMBER, resolved),
    ).toBe(false);
    expect(changeAffects({ table: 'voices', op: 'update', all: true }, NUMBER, resolved)).toBe(true);
  });
});

describe('isNotOlder', () => {
  it('refuses an older version of the same config, allows another config', () => {
    expect(isNotOlder(resolvedFor(NUMBER, { ...config, version: 2 }), resolved)).toBe(false);
    expect(isNotOlder(resolvedFor(NUMBER, { ...config, version: 3 }), resolved)).toBe(true);
    expect(isNotOlder(resolvedFor(NUMBER, testConfig({ id: crypto.randomUUID(), version: 1 })), resolved)).toBe(true);
    expect(isNotOlder(resolvedFor(NUMBER, null), resolved)).toBe(true);
  });
});
