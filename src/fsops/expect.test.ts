import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import type { Entry } from '../core/types.js';
import { LazysyncError } from '../errors.js';
import { lstatEntry } from './entry.js';
import { expectEntry } from './expect.js';
import { link, makeTmp, mkdir, put, rmTmp } from '../../test/unit/fs.js';

const isChanged = (e: unknown): boolean =>
  e instanceof LazysyncError &&
  e.code === 'changed' &&
  /changed since it was scanned; will retry$/.test(e.message);

describe('expectEntry', () => {
  let root = '';
  before(() => {
    root = makeTmp('expect');
  });
  after(() => rmTmp(root));

  it('passes when the path is unchanged, and when an expected absence holds', async () => {
    put(root, 'f', 'abc');
    mkdir(root, 'd');
    link(root, 'ph', '/mnt/r/ph');
    for (const p of ['f', 'd']) await expectEntry(root, p, 'local', await lstatEntry(root, p, 'local'));
    await expectEntry(root, 'ph', 'local', await lstatEntry(root, 'ph', 'local', '/mnt/r'), '/mnt/r');
    await expectEntry(root, 'missing', 'remote', undefined);
  });

  it('catches a file whose content, mtime, mode or inode changed', async () => {
    put(root, 'g', 'abc');
    const seen = (await lstatEntry(root, 'g', 'local')) as Entry;
    fs.appendFileSync(`${root}/g`, 'd');
    await assert.rejects(expectEntry(root, 'g', 'local', seen), isChanged);

    put(root, 'h', 'abc');
    fs.utimesSync(`${root}/h`, 1_700_000_000, 1_700_000_000);
    const h = (await lstatEntry(root, 'h', 'local')) as Entry;
    fs.utimesSync(`${root}/h`, 1_700_000_001, 1_700_000_001);
    await assert.rejects(expectEntry(root, 'h', 'local', h), isChanged);
    fs.utimesSync(`${root}/h`, 1_700_000_000, 1_700_000_000);
    await expectEntry(root, 'h', 'local', h);
    fs.chmodSync(`${root}/h`, 0o600);
    await assert.rejects(expectEntry(root, 'h', 'local', h), isChanged);
    fs.chmodSync(`${root}/h`, h.mode);

    // same size, mtime and mode, but another inode: an atomic save by an editor
    put(root, 'h.new', 'xyz');
    fs.chmodSync(`${root}/h.new`, h.mode);
    fs.utimesSync(`${root}/h.new`, 1_700_000_000, 1_700_000_000);
    fs.renameSync(`${root}/h.new`, `${root}/h`);
    await assert.rejects(expectEntry(root, 'h', 'local', h), isChanged);
    await expectEntry(root, 'h', 'remote', { ...h, ino: 0 }); // the remote has no stable inodes
  });

  it('catches appearance, disappearance, a changed kind and a changed link text', async () => {
    put(root, 'new', 'x');
    await assert.rejects(expectEntry(root, 'new', 'local', undefined), isChanged);
    const gone = (await lstatEntry(root, 'new', 'local')) as Entry;
    fs.unlinkSync(`${root}/new`);
    await assert.rejects(expectEntry(root, 'new', 'local', gone), isChanged);
    mkdir(root, 'new');
    await assert.rejects(expectEntry(root, 'new', 'local', gone), isChanged);
    link(root, 'l', 'a');
    const l = await lstatEntry(root, 'l', 'local');
    fs.unlinkSync(`${root}/l`);
    link(root, 'l', 'b');
    await assert.rejects(expectEntry(root, 'l', 'local', l), isChanged);
    // a placeholder checked without the remote root looks like a user symlink: refused, never passed
    const ph = await lstatEntry(root, 'ph', 'local', '/mnt/r');
    await assert.rejects(expectEntry(root, 'ph', 'local', ph), isChanged);
  });
});
