import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { isUnchanged, sameContent } from './changes.js';
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
} from './testing-entries.js';

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
