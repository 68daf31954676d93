import { describe, it, after } from 'node:test';
import assert from 'node:assert/strict';
import type { Action } from '../core/types.js';
import { Archive } from './archive.js';
import {
  removeTempStateDirs,
  tD,
  tDr,
  tF1,
  tF1r,
  tFbig,
  tP,
  tSRr,
  tempStateDir,
} from '../../test/unit/archive.js';

describe('Archive: the journal, problems and the plan spool', () => {
  after(removeTempStateDirs);

  it('journal: add, set temp, list, done', () => {
    let t = 1000.5;
    const a = Archive.open(tempStateDir(), { now: () => t++ });
    const j1 = a.journalAdd({ path: 'd\n/f\xff', op: 'download' });
    const j2 = a.journalAdd({
      path: 'g',
      op: 'remove',
      side: 'remote',
      temp: Buffer.from('g.tmp\xff', 'latin1'),
    });
    assert.ok(j2 > j1);
    assert.deepEqual(a.journalList(), [
      { id: j1, path: 'd\n/f\xff', op: 'download', started: 1000.5 },
      {
        id: j2,
        path: 'g',
        op: 'remove',
        side: 'remote',
        temp: Buffer.from('g.tmp\xff', 'latin1'),
        started: 1001.5,
      },
    ]);
    a.journalSetTemp(j1, Buffer.from('d\n/.lazysync-tmp-1', 'latin1'));
    assert.deepEqual(a.journalList()[0]?.temp, Buffer.from('d\n/.lazysync-tmp-1', 'latin1'));
    a.journalDone(j1);
    assert.deepEqual(
      a.journalList().map((j) => j.id),
      [j2],
    );
    a.journalDone(j2);
    assert.deepEqual(a.journalList(), []);
    a.close();
  });

  it('problems: count up, keep first, clear', () => {
    let t = 10;
    const a = Archive.open(tempStateDir(), { now: () => t });
    a.problemSet('b\xff', 'EACCES');
    t = 20;
    a.problemSet('a\n', 'changed');
    t = 30;
    a.problemSet('b\xff', 'EIO');
    assert.equal(a.problemCount(), 2);
    assert.deepEqual(a.problemList(), [
      { path: 'a\n', message: 'changed', count: 1, first: 20, last: 20 },
      { path: 'b\xff', message: 'EIO', count: 2, first: 10, last: 30 },
    ]);
    assert.deepEqual(a.problemGet('b\xff'), { path: 'b\xff', message: 'EIO', count: 2, first: 10, last: 30 });
    a.problemClear('b\xff');
    a.problemClear('never');
    assert.equal(a.problemGet('b\xff'), undefined);
    assert.equal(a.problemCount(), 1);
    a.close();
  });

  it('plan spool: actions round-trip through JSON with binary strings, in pages', () => {
    const a = Archive.open(tempStateDir());
    const weird = 'd\n\x01\x1f\x7f"\\\xff/\xc3\xa9 x';
    const actions: Action[] = [
      { op: 'download', path: weird, remote: tF1r },
      { op: 'placeholder', path: 'p', local: tF1, remote: tF1r },
      { op: 'upload', path: 'u', local: tF1 },
      { op: 'mkdir', side: 'remote', path: 'd', local: tD },
      { op: 'symlink', side: 'local', path: 'l\xff', target: '../\n\xff\x01', remote: tSRr },
      { op: 'remove', side: 'local', path: 'r', local: tP },
      { op: 'conflict', path: 'c', local: tF1, remote: tFbig, winner: 'remote' },
      { op: 'record', path: 'rec', local: { ...tD, unreadable: true }, remote: tDr },
      { op: 'forget', path: 'gone' },
    ];
    assert.equal(a.planAdd(actions[0] as Action), 1);
    a.planAddMany(actions.slice(1));
    assert.equal(a.planCount(), actions.length);
    const got: Action[] = [];
    let seq = 0;
    for (;;) {
      const page = a.planPage(seq, 4);
      if (page.length === 0) break;
      for (const p of page) {
        assert.equal(p.seq, seq + 1);
        seq = p.seq;
        got.push(p.action);
      }
    }
    assert.deepEqual(got, actions);
    a.planClear();
    assert.equal(a.planCount(), 0);
    assert.equal(a.planAdd({ op: 'forget', path: 'x' }), 1);
    a.close();
  });
});
