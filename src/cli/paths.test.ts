import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { absolutePath, isUnderFolder } from './paths.js';

describe('absolutePath', () => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'lazysync-paths-'));
  after(() => fs.rmSync(tmp, { recursive: true, force: true }));
  fs.mkdirSync(path.join(tmp, 'real/sub'), { recursive: true });
  fs.symlinkSync('real', path.join(tmp, 'alias'));
  const real = fs.realpathSync(path.join(tmp, 'real'));

  it('resolves from the logical $PWD when it is the same folder as the real working directory', () => {
    const pwd = path.join(tmp, 'alias');
    assert.equal(absolutePath('x/y', { PWD: pwd }, real), path.join(pwd, 'x/y'));
    assert.equal(absolutePath('../alias/f', { PWD: pwd }, real), path.join(tmp, 'alias/f'));
  });

  it('falls back to the working directory when $PWD is stale, relative or missing', () => {
    assert.equal(absolutePath('f', { PWD: path.join(tmp, 'real/sub') }, real), path.join(real, 'f'));
    assert.equal(absolutePath('f', { PWD: 'rel' }, real), path.join(real, 'f'));
    assert.equal(absolutePath('f', { PWD: path.join(tmp, 'gone') }, real), path.join(real, 'f'));
    assert.equal(absolutePath('f', {}, real), path.join(real, 'f'));
  });

  it('keeps absolute paths and never follows a symlink (a placeholder points into the mount)', () => {
    fs.symlinkSync('/mnt/remote/doc.pdf', path.join(tmp, 'real/doc.pdf'));
    assert.equal(absolutePath(path.join(tmp, 'real/doc.pdf/'), {}, real), path.join(tmp, 'real/doc.pdf'));
  });
});

describe('isUnderFolder', () => {
  it('matches the folder and below it, by whole names', () => {
    assert.equal(isUnderFolder('/a/b', '/a/b'), true);
    assert.equal(isUnderFolder('/a/b/c', '/a/b'), true);
    assert.equal(isUnderFolder('/a/b/..c', '/a/b'), true);
    assert.equal(isUnderFolder('/a/bc', '/a/b'), false);
    assert.equal(isUnderFolder('/a', '/a/b'), false);
  });
});
