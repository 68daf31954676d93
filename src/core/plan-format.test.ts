import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { describeAction } from './plan-format.js';
import type { Action } from './types.js';
import { lD, lF1, lS1, P, rF1, rS2 } from '../../test/unit/entries.js';

describe('describeAction', () => {
  it('one line per action that changes something', () => {
    const lines: [Action, string][] = [
      [{ op: 'download', path: 'a/b', remote: rF1 }, 'download a/b'],
      [{ op: 'placeholder', path: 'a/b', remote: rF1 }, 'placeholder a/b'],
      [{ op: 'upload', path: 'a/b', local: lF1 }, 'upload a/b'],
      [{ op: 'mkdir', side: 'local', path: 'd' }, 'mkdir:local d'],
      [{ op: 'mkdir', side: 'remote', path: 'd', local: lD }, 'mkdir:remote d'],
      [
        { op: 'symlink', side: 'local', path: 's', target: '../two', remote: rS2 },
        'symlink:local s -> ../two',
      ],
      [
        { op: 'symlink', side: 'remote', path: 's', target: 'x/one', local: lS1 },
        'symlink:remote s -> x/one',
      ],
      [{ op: 'remove', side: 'local', path: 'p', local: P }, 'remove:local p'],
      [{ op: 'remove', side: 'remote', path: 'f', remote: rF1 }, 'remove:remote f'],
      [
        { op: 'conflict', path: 'c', local: lF1, remote: rF1, winner: 'remote' },
        'conflict c (newer: remote)',
      ],
      [
        { op: 'conflict', path: 'c', local: lF1, remote: rF1, winner: 'local', check: true },
        'compare c (same size and time on both sides: a conflict if the bytes differ)',
      ],
      [
        { op: 'download', path: 'd', local: lF1, remote: rF1, unlessSame: true },
        'compare d (only its time changed on the remote: downloaded if the bytes differ)',
      ],
    ];
    for (const [a, line] of lines) assert.equal(describeAction(a), line);
  });

  it('archive-only steps print nothing', () => {
    assert.equal(describeAction({ op: 'record', path: 'r', local: lF1, remote: rF1 }), undefined);
    assert.equal(describeAction({ op: 'forget', path: 'r' }), undefined);
  });

  it('paths and link text are shown readably on one line', () => {
    const path = 'caf\xc3\xa9/new\nline\xff';
    const every: Action[] = [
      { op: 'download', path, remote: rF1 },
      { op: 'placeholder', path, remote: rF1 },
      { op: 'upload', path, local: lF1 },
      { op: 'mkdir', side: 'local', path },
      { op: 'symlink', side: 'remote', path, target: 'x', local: lS1 },
      { op: 'remove', side: 'remote', path, remote: rF1 },
      { op: 'conflict', path, local: lF1, remote: rF1, winner: 'local' },
    ];
    for (const a of every) {
      const line = describeAction(a) ?? '';
      assert.ok(
        line.includes(' café/new\\nline\\xff') && !line.includes('\n'),
        `${a.op}: ${JSON.stringify(line)}`,
      );
    }
    assert.equal(describeAction({ op: 'upload', path, local: lF1 }), 'upload café/new\\nline\\xff');
    assert.equal(
      describeAction({ op: 'symlink', side: 'local', path: 's', target: 't\xe2\x82\xac\n', remote: rS2 }),
      'symlink:local s -> t€\\n',
    );
  });
});
