import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { LazysyncError } from '../errors.js';
import { expectParents } from './parents.js';
import { link, makeTmp, mkdir, put, rmTmp } from '../../test/unit/fs.js';

const swapped = (e: unknown): boolean =>
  e instanceof LazysyncError && e.code === 'changed' && /is now (a symlink|not a directory)/.test(e.message);

describe('expectParents', () => {
  let root = '';
  let outside = '';
  before(() => {
    root = makeTmp('parents');
    outside = makeTmp('parents-outside');
    mkdir(root, 'a/b\xff/c');
    mkdir(outside, 'c');
    link(root, 'ln', outside);
    link(root, 'a/ln', outside);
    put(root, 'file', 'x');
  });
  after(() => {
    rmTmp(root);
    rmTmp(outside);
  });

  it('passes for real folders, missing ones and paths at the root (the root itself is not looked at)', async () => {
    await expectParents(root, 'a/b\xff/c/new');
    await expectParents(root, 'a/missing/deeper/x');
    await expectParents(root, 'top');
    await expectParents(root, 'ln'); // the path itself may be a symlink: only its folders are checked
    const viaLink = makeTmp('parents-link');
    try {
      link(viaLink, 'root', root); // a root reached through a symlink is the user's choice
      await expectParents(`${viaLink}/root`, 'a/b\xff/c/x');
    } finally {
      rmTmp(viaLink);
    }
  });

  it('refuses a symlink or a file among the folders, at any depth', async () => {
    await assert.rejects(expectParents(root, 'ln/c/x'), swapped);
    await assert.rejects(expectParents(root, 'ln/x'), swapped);
    await assert.rejects(expectParents(root, 'a/ln/c'), swapped);
    await assert.rejects(expectParents(root, 'file/x'), swapped);
  });
});
