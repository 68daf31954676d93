import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import { LazysyncError } from '../errors.js';
import {
  absOf,
  blockingReader,
  symlinkEntry,
  entryFromStats,
  lstatEntry,
  placeholderTarget,
  pooledReader,
  remoteScanReader,
  sameEntry,
} from './entry.js';
import { moduleForOtherUsers, NOBODY } from '../../test/fixture/other-user.js';
import { link, makeTmp, mkdir, put, rmTmp } from '../../test/unit/fs.js';

describe('absOf', () => {
  it('joins root and a byte path into the Buffer fs calls get', () => {
    assert.deepEqual(absOf('/r', ''), Buffer.from('/r'));
    assert.deepEqual(absOf('/r', 'a/\xff'), Buffer.from([0x2f, 0x72, 0x2f, 0x61, 0x2f, 0xff]));
    assert.deepEqual(absOf('/', 'a'), Buffer.from('/a'));
    assert.equal(placeholderTarget('/mnt/r', 'x/y'), '/mnt/r/x/y');
  });
});

describe('symlinkEntry', () => {
  const kindOf = (target: string, rel: string, side: 'local' | 'remote', root?: string) =>
    symlinkEntry(target, rel, side, root).kind;
  it('is a placeholder only locally, and only when the link text is exactly the remote path', () => {
    assert.equal(kindOf('/mnt/r/a/b', 'a/b', 'local', '/mnt/r'), 'placeholder');
    assert.equal(kindOf('/mnt/r/a/b', 'a/b', 'remote', '/mnt/r'), 'symlink');
    assert.equal(kindOf('/mnt/r/a/c', 'a/b', 'local', '/mnt/r'), 'symlink');
    assert.equal(kindOf('/mnt/r//a/b', 'a/b', 'local', '/mnt/r'), 'symlink');
    assert.equal(kindOf('../r/a/b', 'a/b', 'local', '/mnt/r'), 'symlink');
    assert.equal(kindOf('/mnt/r/a/b', 'a/b', 'local'), 'symlink');
  });

  it('names the path a moved or copied placeholder stands for, and nothing else', () => {
    const of = (target: string) => symlinkEntry(target, 'x/y', 'local', '/mnt/r').placeholderOf;
    assert.equal(of('/mnt/r/a/c'), 'a/c');
    assert.equal(of('/mnt/r/a'), 'a');
    assert.equal(of('/mnt/r/x/y'), undefined); // its own placeholder
    assert.equal(of('/mnt/r'), undefined);
    assert.equal(of('/mnt/r/'), undefined);
    assert.equal(of('/mnt/r//a'), undefined);
    assert.equal(of('/mnt/r/a/../b'), undefined);
    assert.equal(of('/mnt/r/.lazysync/versions/a'), undefined);
    assert.equal(of('/mnt/rx/a'), undefined);
    assert.equal(of('a/c'), undefined);
    assert.equal(symlinkEntry('/mnt/r/a/c', 'x/y', 'remote', '/mnt/r').placeholderOf, undefined);
  });
});

describe('entryFromStats and lstatEntry', () => {
  let root = '';
  before(() => {
    root = makeTmp('entry');
    put(root, 'f', 'hello');
    fs.chmodSync(`${root}/f`, 0o4751);
    mkdir(root, 'd');
    link(root, 'ph', '/mnt/r/ph');
    link(root, 'l\xff', '../x\xff');
    execFileSync('mkfifo', [`${root}/fifo`]);
  });
  after(() => rmTmp(root));

  it('describes a file with size, mtime, mode bits, and ino on the local side only', async () => {
    const st = fs.lstatSync(`${root}/f`);
    assert.deepEqual(await lstatEntry(root, 'f', 'local'), {
      kind: 'file',
      size: 5,
      mtime: st.mtimeMs,
      mode: 0o4751,
      ino: st.ino,
    });
    assert.equal((await lstatEntry(root, 'f', 'remote'))?.ino, 0);
    assert.deepEqual(entryFromStats(fs.lstatSync(`${root}/d`), 'remote'), {
      kind: 'dir',
      size: 0,
      mtime: 0,
      mode: fs.lstatSync(`${root}/d`).mode & 0o7777,
      ino: 0,
    });
  });

  it('reads link text as bytes and tells placeholders apart', async () => {
    assert.deepEqual(await lstatEntry(root, 'l\xff', 'local', '/mnt/r'), {
      kind: 'symlink',
      size: 0,
      mtime: 0,
      mode: 0,
      ino: 0,
      target: '../x\xff',
    });
    assert.equal((await lstatEntry(root, 'ph', 'local', '/mnt/r'))?.kind, 'placeholder');
    assert.equal((await lstatEntry(root, 'ph', 'local'))?.kind, 'symlink');
  });

  it('says absent for ENOENT and ENOTDIR', async () => {
    assert.equal(await lstatEntry(root, 'missing', 'local'), undefined);
    assert.equal(await lstatEntry(root, 'f/below-a-file', 'local'), undefined);
  });

  it('refuses a special file with an io error, and entryFromStats returns undefined for it', async () => {
    assert.equal(entryFromStats(fs.lstatSync(`${root}/fifo`), 'local'), undefined);
    await assert.rejects(
      lstatEntry(root, 'fifo', 'local'),
      (e) => e instanceof LazysyncError && e.code === 'io',
    );
  });
});

describe('sameEntry', () => {
  const f = { kind: 'file' as const, size: 1, mtime: 1000.5, mode: 0o644, ino: 7 };
  it('compares like the core: inode only locally, dirs by kind, links by text, absent = absent', () => {
    assert.equal(sameEntry(f, { ...f }, 'local'), true);
    assert.equal(sameEntry(f, { ...f, ino: 8 }, 'local'), false);
    assert.equal(sameEntry(f, { ...f, ino: 8 }, 'remote'), true);
    assert.equal(sameEntry(f, { ...f, mtime: 1000.6 }, 'local'), false);
    assert.equal(sameEntry(f, { ...f, mode: 0o600 }, 'remote'), false);
    const d = { kind: 'dir' as const, size: 0, mtime: 0, mode: 0o755, ino: 1 };
    assert.equal(sameEntry(d, { ...d, mode: 0o700, ino: 2 }, 'local'), true);
    const l = { kind: 'symlink' as const, size: 0, mtime: 0, mode: 0, ino: 0, target: 'a' };
    assert.equal(sameEntry(l, { ...l, target: 'b' }, 'local'), false);
    assert.equal(sameEntry(l, { ...l, kind: 'placeholder' }, 'local'), false);
    assert.equal(sameEntry(undefined, undefined, 'local'), true);
    assert.equal(sameEntry(undefined, f, 'local'), false);
  });
});

describe('a symlink whose link text cannot be read', () => {
  it('is an unreadable symlink without a target, not absent and not an error (run as nobody)', (t) => {
    // sshfs answers EPERM to readlink of absolute or `..` links (contain_symlinks); here: another user's
    // /proc/1/cwd, which a non-root user can lstat but not readlink.
    if (process.getuid?.() !== 0 || fs.lstatSync('/proc/1/cwd', { throwIfNoEntry: false }) === undefined) {
      return t.skip('needs root and /proc/1 to run as another user');
    }
    // A copy any user can read: the checkout may sit in a folder only its owner can enter.
    const url = moduleForOtherUsers(new URL('./entry.js', import.meta.url));
    const script = `
      import { lstatEntry, observe } from ${JSON.stringify(url)};
      const o = await observe('/proc/1', 'cwd', 'local');
      console.log(JSON.stringify({ o, e: await lstatEntry('/proc/1', 'cwd', 'local') }));`;
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], {
      uid: NOBODY,
      gid: NOBODY,
      cwd: '/',
      encoding: 'utf8',
    });
    assert.equal(r.status, 0, r.stderr);
    const { o, e } = JSON.parse(r.stdout) as {
      o: { found: string; linkError?: { code: string } };
      e: unknown;
    };
    const unreadable = { kind: 'symlink', size: 0, mtime: 0, mode: 0, ino: 0, unreadable: true };
    assert.equal(o.found, 'entry');
    assert.equal(o.linkError?.code, 'EACCES');
    assert.deepEqual(e, unreadable);
  });
});

describe('remoteScanReader', () => {
  it('reads a remote on a local-disk filesystem with blocking calls, anything else through the pool', async () => {
    const tmp = makeTmp('reader');
    try {
      // /tmp here is ext4 or tmpfs, both local; /proc is neither local disk nor known: the pool.
      assert.equal(await remoteScanReader(tmp), blockingReader);
      assert.equal(await remoteScanReader('/proc'), pooledReader);
      assert.equal(await remoteScanReader(`${tmp}/missing`), pooledReader);
    } finally {
      rmTmp(tmp);
    }
  });
});
