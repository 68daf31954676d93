import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { isUnchanged, onlyStampMoved, rulesFor, sameContent, stillAsPlanned } from './changes.js';
import { decide } from './decide.js';
import type { Action, Entry, Policy } from './types.js';
import {
  file,
  lD,
  lF1,
  lF1exec,
  lF1saved,
  lF2,
  lS1,
  lS2,
  P,
  P2,
  rD,
  rF1,
  rF2,
  rS1,
  rS2,
  T1,
  T2,
  eager,
  rec,
} from '../../test/unit/entries.js';

describe('isUnchanged', () => {
  it('a file is unchanged only with the same size, mtime and mode', () => {
    assert.equal(isUnchanged(lF1, { ...lF1 }, 'local'), true);
    assert.equal(isUnchanged({ ...lF1, size: 101 }, lF1, 'local'), false);
    assert.equal(isUnchanged({ ...lF1, mtime: lF1.mtime + 1 }, lF1, 'local'), false);
    assert.equal(isUnchanged(lF1exec, lF1, 'local'), false);
  });

  it('a new inode is a local change (atomic save), not a remote one (unstable inodes)', () => {
    assert.equal(isUnchanged(lF1saved, lF1, 'local'), false);
    assert.equal(isUnchanged({ ...rF1, ino: 7 }, { ...rF1, ino: 8 }, 'remote'), true);
  });

  it('a dir compares only its kind', () => {
    assert.equal(isUnchanged({ ...lD, mtime: 5, mode: 0o700, ino: 3 }, lD, 'local'), true);
    assert.equal(isUnchanged(lD, lF1, 'local'), false);
    assert.equal(isUnchanged(rF1, rD, 'remote'), false);
  });

  it('symlinks and placeholders compare their link text', () => {
    assert.equal(isUnchanged({ ...lS1, mtime: 1 }, lS1, 'local'), true);
    assert.equal(isUnchanged(lS2, lS1, 'local'), false);
    assert.equal(isUnchanged(P2, P, 'local'), false);
    assert.equal(isUnchanged({ ...P, kind: 'symlink' }, P, 'local'), false);
  });
});

describe('sameContent', () => {
  it('sub-second mtime noise across sides is not a difference', () => {
    assert.equal(sameContent(file(10, T1 + 999, 4), file(10, T1)), true);
    assert.equal(sameContent(file(10, T1 + 1), file(10, T1 + 998)), true);
    assert.equal(sameContent(lF1, rF1), true);
  });

  it('same size in another second: unknown, the bytes must tell', () => {
    assert.equal(sameContent(file(10, T1 + 1000), file(10, T1 + 999)), 'unknown');
  });

  it('different sizes: different', () => {
    assert.equal(sameContent(file(10, T1), file(11, T1)), false);
    assert.equal(sameContent(lF2, rF1), false);
  });

  it('a placeholder shows the remote file, and nothing else', () => {
    assert.equal(sameContent(P, rF2), true);
    assert.equal(sameContent(P, rD), false);
    assert.equal(sameContent(P, rS1), false);
  });

  it('dirs are the same; symlinks by link text; different kinds differ', () => {
    assert.equal(sameContent(lD, rD), true);
    assert.equal(sameContent(lS1, rS1), true);
    assert.equal(sameContent(lS1, rS2), false);
    assert.equal(sameContent(lD, rF1), false);
    assert.equal(sameContent(lF1, rD), false);
    assert.equal(sameContent(lS1, { ...rF1 }), false);
  });
});

describe('metadata the server rewrites (policy from the mount probe)', () => {
  const smb: Policy = { lazy: false, remoteModesKept: false };
  const dav: Policy = { lazy: false, remoteMtimesRewritten: true };
  const davLazy: Policy = { lazy: true, remoteMtimesRewritten: true };
  const davSmb: Policy = { lazy: false, remoteMtimesRewritten: true, remoteModesKept: false };
  const archived = rec('a', lF1, rF1);
  const shown0744 = { ...rF1, mode: 0o744 };
  const stamped = { ...rF1, mtime: T2 };
  const stamped0744 = { ...stamped, mode: 0o744 };
  const edited = { ...rF1, size: 101, mtime: T2 };

  it('isUnchanged ignores the remote mode only where modes do not stick', () => {
    const table: [string, Entry, Policy, boolean][] = [
      ['mode shown otherwise, modes kept', shown0744, eager, false],
      ['mode shown otherwise, modes not kept', shown0744, smb, true],
      ['size changed, modes not kept', { ...shown0744, size: 7 }, smb, false],
      ['mtime changed, modes not kept', stamped0744, smb, false],
    ];
    for (const [what, now, policy, unchanged] of table) {
      assert.equal(isUnchanged(now, rF1, 'remote', rulesFor(policy, 'remote')), unchanged, what);
    }
    // The local side's modes always count.
    assert.deepEqual(rulesFor(smb, 'local'), {});
    assert.equal(isUnchanged(lF1exec, lF1, 'local', rulesFor(smb, 'local')), false);
  });

  it('onlyStampMoved: same size, another mtime, on a remote that stamps its own', () => {
    const table: [string, Entry, Policy, boolean][] = [
      ['stamped, server rewrites mtimes', stamped, dav, true],
      ['stamped, mtimes kept', stamped, eager, false],
      ['edited (another size)', edited, dav, false],
      ['same mtime', rF1, dav, false],
      ['stamped and mode moved, modes kept', stamped0744, dav, false],
      ['stamped and mode moved, modes not kept', stamped0744, davSmb, true],
      ['retyped', rD, dav, false],
    ];
    for (const [what, now, policy, only] of table) assert.equal(onlyStampMoved(now, rF1, policy), only, what);
  });

  it('decide: what each rewrite leads to', () => {
    const table: [string, Entry, Entry, Policy, Action[]][] = [
      ['samba shows 0744 after upload: nothing to do', lF1, shown0744, smb, []],
      [
        'samba mode on a remote that keeps modes: a download',
        lF1,
        shown0744,
        eager,
        [{ op: 'download', path: 'a', local: lF1, remote: shown0744 }],
      ],
      [
        'davfs2 stamp: download only if the bytes differ',
        lF1,
        stamped,
        dav,
        [{ op: 'download', path: 'a', local: lF1, remote: stamped, unlessSame: true }],
      ],
      [
        'davfs2 stamp on a placeholder: just recorded',
        P,
        stamped,
        davLazy,
        [{ op: 'record', path: 'a', local: P, remote: stamped }],
      ],
      [
        'davfs2 real edit (another size): a plain download',
        lF1,
        edited,
        dav,
        [{ op: 'download', path: 'a', local: lF1, remote: edited }],
      ],
      [
        'stamp on a remote that keeps mtimes: a plain download',
        lF1,
        stamped,
        eager,
        [{ op: 'download', path: 'a', local: lF1, remote: stamped }],
      ],
    ];
    for (const [what, local, remote, policy, actions] of table) {
      const base = local.kind === 'placeholder' ? rec('a', P, rF1) : archived;
      assert.deepEqual(decide('a', base, local, remote, policy), actions, what);
    }
  });
});

describe('stillAsPlanned: the source of a copy is the file the plan saw', () => {
  it('the same size, mtime second and inode: yes, whatever the sub-second part', () => {
    assert.equal(stillAsPlanned({ ...lF1, mtime: lF1.mtime + 300 }, lF1), true);
  });
  it('another size, another second, another inode, or not a file: no', () => {
    assert.equal(stillAsPlanned({ ...lF1, size: 101 }, lF1), false);
    assert.equal(stillAsPlanned({ ...lF1, mtime: lF1.mtime + 1000 }, lF1), false);
    assert.equal(stillAsPlanned(lF1saved, lF1), false);
    assert.equal(stillAsPlanned(lD, lF1), false);
  });
  it('a plan without an inode (the remote) does not compare inodes', () => {
    assert.equal(stillAsPlanned({ ...rF1, ino: 1234 }, rF1), true);
  });
});
