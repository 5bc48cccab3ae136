// The durable write queue on its own, with writes that fail the way the stores fail: a retryable
// AppError while the database is away, a plain refusal otherwise. Retry delays are milliseconds
// here; the queue's logic is the same whatever the delays and however long the outage lasts.
import { describe, expect, it } from 'vitest';
import { AppError } from '../../shared/errors.ts';
import { type DurableWrite, DurableWrites } from './durable_writes.ts';

const FAST = { firstRetryDelayMs: 1, maxRetryDelayMs: 5 };
const away = () => new AppError('unavailable', 'The calls database is unreachable.', { retryable: true });

/** A pretend database: writes land in `rows` while `up`, and fail as unreachable otherwise. */
function database() {
  const rows: string[] = [];
  const state = { up: true, attempts: 0 };
  const write = (key: string, value = key): DurableWrite => ({
    key,
    what: 'test write',
    apply: async () => {
      state.attempts += 1;
      if (!state.up) throw away();
      rows.push(value);
    },
  });
  return { rows, state, write };
}

describe('durable writes', () => {
  it('keeps writes through an outage and writes them, in order, once the database is back', async () => {
    const db = database();
    const writes = new DurableWrites(FAST);
    db.state.up = false;
    const settled = Promise.all(['a', 'b', 'c'].map((key) => writes.enqueue(db.write(key))));
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(db.rows).toEqual([]);
    expect(writes.pending).toBe(3);
    expect(db.state.attempts).toBeGreaterThan(3);
    db.state.up = true;
    await settled;
    expect(db.rows).toEqual(['a', 'b', 'c']);
    expect(await writes.drain(0)).toBe(true);
  });

  it("replaces a waiting write with the newer one of the same key, in the older one's place", async () => {
    const db = database();
    const writes = new DurableWrites(FAST);
    db.state.up = false;
    const first = writes.enqueue(db.write('other'));
    const start = writes.enqueue(db.write('call:1', 'start'));
    const end = writes.enqueue(db.write('call:1', 'start+end'));
    db.state.up = true;
    await Promise.all([first, start, end]);
    expect(db.rows).toEqual(['other', 'start+end']);
  });

  it('writes a newer state again when it arrives while the older one is being written', async () => {
    const db = database();
    const writes = new DurableWrites(FAST);
    let release!: () => void;
    const slow: DurableWrite = {
      key: 'call:1',
      what: 'slow',
      apply: () =>
        new Promise<void>(
          (resolve) =>
            (release = () => {
              db.rows.push('start');
              resolve();
            }),
        ),
    };
    const start = writes.enqueue(slow);
    await new Promise((resolve) => setTimeout(resolve, 5));
    const end = writes.enqueue(db.write('call:1', 'start+end'));
    release();
    await Promise.all([start, end]);
    expect(db.rows).toEqual(['start', 'start+end']);
  });

  it('refuses new writes past its bound and keeps the older ones', async () => {
    const db = database();
    const writes = new DurableWrites({ ...FAST, maxPending: 2 });
    db.state.up = false;
    const kept = [writes.enqueue(db.write('a')), writes.enqueue(db.write('b'))];
    await expect(writes.enqueue(db.write('c'))).rejects.toMatchObject({
      code: 'unavailable',
      message: expect.stringMatching(/queue is full \(2 writes/),
    });
    db.state.up = true;
    await Promise.all(kept);
    expect(db.rows).toEqual(['a', 'b']);
  });

  it('drops a write the database refuses, and goes on with the next', async () => {
    const db = database();
    const writes = new DurableWrites(FAST);
    const refused: DurableWrite = {
      key: 'bad',
      what: 'bad',
      apply: async () => {
        throw new AppError('invalid_request', 'violates a foreign key');
      },
    };
    const bad = writes.enqueue(refused);
    const good = writes.enqueue(db.write('good'));
    await expect(bad).rejects.toThrow('violates a foreign key');
    await good;
    expect(db.rows).toEqual(['good']);
  });

  it('gives up on an attempt that never settles and tries again', async () => {
    const db = database();
    const writes = new DurableWrites({ ...FAST, attemptTimeoutMs: 20 });
    let calls = 0;
    const hangsOnce: DurableWrite = {
      key: 'x',
      what: 'x',
      apply: () => (calls++ === 0 ? new Promise<void>(() => {}) : db.write('x').apply()),
    };
    await writes.enqueue(hangsOnce);
    expect(db.rows).toEqual(['x']);
  });

  it('says, when asked to drain, whether everything was written in time', async () => {
    const db = database();
    const writes = new DurableWrites(FAST);
    db.state.up = false;
    void writes.enqueue(db.write('a'));
    expect(await writes.drain(30)).toBe(false);
    db.state.up = true;
    expect(await writes.drain(1_000)).toBe(true);
  });
});
