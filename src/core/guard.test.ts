import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { checkDeletes, countDeletions, DeleteCounter, HANDFUL } from './guard.js';
import type { Action, Entry, Side } from './types.js';
import { lD, lF1, lS1, P, rD, rF1 } from '../../test/unit/entries.js';

function removes(side: Side, n: number, entry: Entry): Action[] {
  return Array.from({ length: n }, (_, i): Action => ({ op: 'remove', side, path: `f${i}`, [side]: entry }));
}

describe('countDeletions', () => {
  it('counts removals of files, symlinks and placeholders per side, not of directories', () => {
    const actions: Action[] = [
      ...removes('local', 2, lF1),
      ...removes('local', 1, lS1),
      ...removes('local', 4, P),
      ...removes('local', 3, lD),
      ...removes('remote', 5, rF1),
      ...removes('remote', 2, rD),
    ];
    assert.deepEqual(countDeletions(actions), { local: 7, remote: 5 });
  });

  it('does not count what only replaces or records', () => {
    const actions: Action[] = [
      { op: 'placeholder', path: 'a', local: lF1, remote: rF1 },
      { op: 'upload', path: 'b', local: lF1, remote: rF1 },
      { op: 'conflict', path: 'c', local: lF1, remote: rF1, winner: 'local' },
      { op: 'forget', path: 'd' },
    ];
    assert.deepEqual(countDeletions(actions), { local: 0, remote: 0 });
  });

  it('DeleteCounter accumulates a streamed plan', () => {
    const c = new DeleteCounter();
    for (const a of removes('remote', 3, rF1)) c.add(a);
    assert.deepEqual(c.counts, { local: 0, remote: 3 });
    for (const a of [...removes('remote', 4, rF1), ...removes('local', 1, P)]) c.add(a);
    assert.deepEqual(c.counts, { local: 1, remote: 7 });
    assert.equal(c.check(10, 50).ok, false);
    assert.equal(c.check(14, 50).ok, true);
  });
});

describe('checkDeletes', () => {
  it('a handful of deletions always passes, even of everything', () => {
    assert.equal(HANDFUL, 5);
    assert.deepEqual(checkDeletes({ local: 5, remote: 5 }, 5, 50), { ok: true });
  });

  it('more than a handful and more than the share: vetoed, naming the side', () => {
    const v = checkDeletes({ local: 0, remote: 6 }, 10, 50);
    assert.equal(v.ok, false);
    if (v.ok) return;
    assert.equal(v.side, 'remote');
    assert.equal(v.count, 6);
    assert.equal(v.total, 10);
    assert.match(v.message, /6 of 10 files on the remote side/);
  });

  it('exactly the share is allowed; one more is not', () => {
    assert.deepEqual(checkDeletes({ local: 6, remote: 0 }, 12, 50), { ok: true });
    assert.equal(checkDeletes({ local: 7, remote: 0 }, 12, 50).ok, false);
    assert.deepEqual(checkDeletes({ local: 30, remote: 0 }, 100, 30), { ok: true });
    assert.equal(checkDeletes({ local: 31, remote: 0 }, 100, 30).ok, false);
  });

  it('per-side totals, and the worse side is reported', () => {
    assert.deepEqual(checkDeletes({ local: 8, remote: 8 }, { local: 100, remote: 10 }, 50), {
      ok: false,
      side: 'remote',
      count: 8,
      total: 10,
      message: 'this pass would delete 8 of 10 files on the remote side (80%, more than the 50% allowed)',
    });
    const v = checkDeletes({ local: 9, remote: 8 }, 10, 50);
    assert.ok(!v.ok && v.side === 'local');
  });

  it('deleting from an empty total is vetoed once past a handful', () => {
    const v = checkDeletes({ local: 6, remote: 0 }, 0, 50);
    assert.ok(!v.ok && v.side === 'local' && /all/.test(v.message));
  });
});
