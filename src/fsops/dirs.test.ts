import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { LazysyncError } from '../errors.js';
import { ensureDir, ensureParents } from './dirs.js';
import { absOf } from './entry.js';
import { b, link, makeTmp, mkdir, put, rmTmp } from '../../test/unit/fs.js';

const isIo = (e: unknown): boolean => e instanceof LazysyncError && e.code === 'io';

describe('ensureDir', () => {
  let root = '';
  before(() => {
    root = makeTmp('ensuredir');
  });
  after(() => rmTmp(root));

  it('creates a directory and accepts an existing one', async () => {
    await ensureDir(absOf(root, 'd\xff'), 0o750);
    assert.equal(fs.lstatSync(b(`${root}/d\xff`)).isDirectory(), true);
    await ensureDir(absOf(root, 'd\xff'));
  });

  it('refuses a file or a symlink to a directory in the way', async () => {
    put(root, 'f');
    mkdir(root, 'real');
    link(root, 'l', 'real');
    await assert.rejects(ensureDir(absOf(root, 'f')), isIo);
    await assert.rejects(ensureDir(absOf(root, 'l')), isIo);
  });
});

describe('ensureParents', () => {
  let root = '';
  let outside = '';
  before(() => {
    root = makeTmp('parents');
    outside = makeTmp('parents-outside');
  });
  after(() => {
    rmTmp(root);
    rmTmp(outside);
  });

  it('creates the missing parents of a path, not the path itself', async () => {
    await ensureParents(root, 'a/b\n/c\xff/leaf');
    assert.equal(fs.lstatSync(b(`${root}/a/b\n/c\xff`)).isDirectory(), true);
    assert.equal(fs.existsSync(b(`${root}/a/b\n/c\xff/leaf`)), false);
    await ensureParents(root, 'a/b\n/c\xff/leaf');
    await ensureParents(root, 'top-level-file');
  });

  it('never goes through a symlink or a file among the parents', async () => {
    link(root, 'esc', outside);
    put(root, 'file');
    await assert.rejects(ensureParents(root, 'esc/x/leaf'), isIo);
    assert.deepEqual(fs.readdirSync(outside), [], 'nothing was created outside the root');
    await assert.rejects(ensureParents(root, 'file/x/leaf'), isIo);
    mkdir(root, 'p');
    link(root, 'p/ph', '/mnt/r/p/ph');
    await assert.rejects(ensureParents(root, 'p/ph/leaf'), isIo);
  });
});
