import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import type { Entry } from '../core/types.js';
import { LazysyncError } from '../errors.js';
import { copyFileAtomic, sweepTemp, symlinkAtomic, symlinkNew, tempPathFor } from './atomic.js';
import { TEMP_PREFIX } from '../core/paths.js';
import { absOf, lstatEntry } from './entry.js';
import { b, link, makeTmp, mkdir, names, put, rmTmp } from '../../test/unit/fs.js';

const isChanged = (e: unknown): boolean => e instanceof LazysyncError && e.code === 'changed';
const temps = (dir: string): string[] => names(dir).filter((n) => n.startsWith(TEMP_PREFIX));

describe('tempPathFor', () => {
  it('is TEMP_PREFIX + 16 hex chars in the directory of the destination', () => {
    const t = tempPathFor(b(`/x/\xff/${'n'.repeat(255)}`)).toString('latin1');
    assert.match(t, /^\/x\/\xff\/\.lazysync-tmp-[0-9a-f]{16}$/);
    assert.notEqual(t, tempPathFor(b('/x/\xff/y')).toString('latin1'));
    assert.match(tempPathFor(b('rel')).toString('latin1'), /^\.lazysync-tmp-[0-9a-f]{16}$/);
  });
});

describe('copyFileAtomic', () => {
  let root = '';
  before(() => {
    root = makeTmp('atomic');
    mkdir(root, 'src');
    mkdir(root, 'dst');
  });
  after(() => rmTmp(root));

  const source = async (
    rel: string,
    data: Buffer,
    mode = 0o640,
    mtimeSec = 1_700_000_000.123456,
  ): Promise<Entry> => {
    put(root, rel, data);
    fs.chmodSync(b(`${root}/${rel}`), mode);
    fs.utimesSync(b(`${root}/${rel}`), mtimeSec, mtimeSec);
    return (await lstatEntry(root, rel, 'local')) as Entry;
  };

  it('copies bytes, mode and mtime over an existing file, in chunks, and returns what it wrote', async () => {
    const data = randomBytes(2_500_000);
    const expect = await source('src/big\xff', data, 0o751);
    put(root, 'dst/big\xff', 'old content');
    const tempsSeen: Buffer[] = [];
    const chunks: number[] = [];
    let renamedAfterCheck = false;
    const written = await copyFileAtomic({
      src: absOf(root, 'src/big\xff'),
      dst: absOf(root, 'dst/big\xff'),
      expect,
      bufferSize: 1 << 16,
      onTemp: (t) => {
        tempsSeen.push(t);
        assert.equal(fs.existsSync(t), false, 'onTemp comes before the temp exists');
      },
      onChunk: async (n) => {
        chunks.push(n);
      },
      beforeRename: async () => {
        renamedAfterCheck = fs.readFileSync(b(`${root}/dst/big\xff`), 'utf8') === 'old content';
      },
    });
    assert.ok(renamedAfterCheck, 'beforeRename runs while the old destination is still there');
    assert.equal(Buffer.compare(fs.readFileSync(b(`${root}/dst/big\xff`)), data), 0);
    assert.equal(
      chunks.reduce((x, y) => x + y, 0),
      data.length,
    );
    assert.ok(chunks.length >= 38);
    const st = fs.lstatSync(b(`${root}/dst/big\xff`));
    assert.equal(st.mode & 0o7777, 0o751);
    // utimes takes seconds as a double: the fraction comes back to within a microsecond, not exactly.
    assert.ok(Math.abs(st.mtimeMs - expect.mtime) < 0.001, `${st.mtimeMs} vs ${expect.mtime}`);
    assert.deepEqual(
      written,
      await lstatEntry(root, 'dst/big\xff', 'local'),
      'the returned entry is the destination',
    );
    assert.equal(tempsSeen.length, 1);
    assert.deepEqual(temps(`${root}/dst`), []);
  });

  it('keeps a whole-second mtime (what a remote has) exactly, and copies an empty file', async () => {
    const expect = await source('src/empty', Buffer.alloc(0), 0o600, 1_600_000_000);
    const written = await copyFileAtomic({
      src: absOf(root, 'src/empty'),
      dst: absOf(root, 'dst/empty'),
      expect,
    });
    assert.equal(fs.lstatSync(`${root}/dst/empty`).mtimeMs, 1_600_000_000_000);
    assert.equal(written.mtime, 1_600_000_000_000);
    assert.equal(written.size, 0);
  });

  it('accepts a plan mtime rounded to the second (a remote scan) but not another size', async () => {
    const expect = await source('src/r', Buffer.from('12345'), 0o644, 1_700_000_000.9);
    await copyFileAtomic({
      src: absOf(root, 'src/r'),
      dst: absOf(root, 'dst/r'),
      expect: { ...expect, mtime: 1_700_000_000_000, ino: 0 },
    });
    let tempMade = false;
    await assert.rejects(
      copyFileAtomic({
        src: absOf(root, 'src/r'),
        dst: absOf(root, 'dst/r2'),
        expect: { ...expect, size: 4 },
        onTemp: () => {
          tempMade = true;
        },
      }),
      isChanged,
    );
    assert.equal(tempMade, false);
    await assert.rejects(
      copyFileAtomic({
        src: absOf(root, 'src/r'),
        dst: absOf(root, 'dst/r2'),
        expect: { ...expect, mtime: 1000 },
      }),
      isChanged,
    );
    await assert.rejects(
      copyFileAtomic({
        src: absOf(root, 'src/r'),
        dst: absOf(root, 'dst/r2'),
        expect: { ...expect, ino: 1 },
      }),
      isChanged,
    );
    assert.equal(fs.existsSync(`${root}/dst/r2`), false);
  });

  it('discards the copy when the source grows during it, leaving no temp and the old destination', async () => {
    const expect = await source('src/grow', randomBytes(300_000));
    put(root, 'dst/grow', 'old');
    await assert.rejects(
      copyFileAtomic({
        src: absOf(root, 'src/grow'),
        dst: absOf(root, 'dst/grow'),
        expect,
        bufferSize: 65536,
        onChunk: async () => fs.appendFileSync(`${root}/src/grow`, 'more'),
      }),
      isChanged,
    );
    assert.equal(fs.readFileSync(`${root}/dst/grow`, 'utf8'), 'old');
    assert.deepEqual(temps(`${root}/dst`), []);
  });

  it('copies every size around the read size exactly (several reads run ahead of the writes)', async () => {
    for (const size of [1, 4095, 4096, 4097, 4 * 4096, 4 * 4096 + 1, 9 * 4096 - 1, 13 * 4096 + 7]) {
      const data = randomBytes(size);
      const expect = await source(`src/size-${size}`, data);
      let chunks = 0;
      await copyFileAtomic({
        src: absOf(root, `src/size-${size}`),
        dst: absOf(root, `dst/size-${size}`),
        expect,
        bufferSize: 4096,
        onChunk: () => void chunks++,
      });
      assert.equal(Buffer.compare(fs.readFileSync(`${root}/dst/size-${size}`), data), 0, `size ${size}`);
      assert.equal(chunks, Math.ceil(size / 4096), `size ${size}: one chunk per read size`);
    }
  });

  it('discards the copy when the source shrinks during it (the reads ahead find its new end)', async () => {
    const expect = await source('src/shrink', randomBytes(300_000));
    await assert.rejects(
      copyFileAtomic({
        src: absOf(root, 'src/shrink'),
        dst: absOf(root, 'dst/shrink'),
        expect,
        bufferSize: 65536,
        onChunk: () => fs.truncateSync(`${root}/src/shrink`, 100_000),
      }),
      isChanged,
    );
    assert.equal(fs.existsSync(`${root}/dst/shrink`), false);
    assert.deepEqual(temps(`${root}/dst`), []);
  });

  it('discards the copy when the source is rewritten in place (same size) during it', async () => {
    const expect = await source('src/rw', randomBytes(300_000));
    let once = false;
    await assert.rejects(
      copyFileAtomic({
        src: absOf(root, 'src/rw'),
        dst: absOf(root, 'dst/rw'),
        expect,
        bufferSize: 65536,
        onChunk: async () => {
          if (once) return;
          once = true;
          const fd = fs.openSync(`${root}/src/rw`, 'r+');
          fs.writeSync(fd, 'X', 0);
          fs.closeSync(fd);
          fs.utimesSync(`${root}/src/rw`, 1_700_000_005, 1_700_000_005);
        },
      }),
      isChanged,
    );
    assert.equal(fs.existsSync(`${root}/dst/rw`), false);
    assert.deepEqual(temps(`${root}/dst`), []);
  });

  it('discards the copy when the source path is replaced by another file during it', async () => {
    const data = randomBytes(200_000);
    const expect = await source('src/swap', data);
    await assert.rejects(
      copyFileAtomic({
        src: absOf(root, 'src/swap'),
        dst: absOf(root, 'dst/swap'),
        expect,
        beforeRename: async () => assert.fail('must not get this far'),
        onChunk: async () => {
          // same size and mtime, new inode: an editor's atomic save
          fs.writeFileSync(`${root}/src/swap.new`, data);
          fs.utimesSync(`${root}/src/swap.new`, expect.mtime / 1000, expect.mtime / 1000);
          fs.renameSync(`${root}/src/swap.new`, `${root}/src/swap`);
        },
      }),
      isChanged,
    );
    assert.deepEqual(temps(`${root}/dst`), []);
  });

  it('never follows a symlink at the source', async () => {
    const expect = await source('src/target', Buffer.from('secret'));
    link(root, 'src/link', 'target');
    let opened = false;
    await assert.rejects(
      copyFileAtomic({
        src: absOf(root, 'src/link'),
        dst: absOf(root, 'dst/link'),
        expect,
        onTemp: () => {
          opened = true;
        },
      }),
      isChanged,
    );
    assert.equal(opened, false, 'refused at open (O_NOFOLLOW), before any temp');
    await assert.rejects(
      copyFileAtomic({ src: absOf(root, 'src/missing'), dst: absOf(root, 'dst/missing'), expect }),
      isChanged,
    );
  });

  it('rethrows the first error (from beforeRename) and removes the temp', async () => {
    const expect = await source('src/br', Buffer.from('data'));
    put(root, 'dst/br', 'old');
    const mine = new Error('destination changed');
    await assert.rejects(
      copyFileAtomic({
        src: absOf(root, 'src/br'),
        dst: absOf(root, 'dst/br'),
        expect,
        beforeRename: async () => {
          throw mine;
        },
      }),
      (e) => e === mine,
    );
    assert.equal(fs.readFileSync(`${root}/dst/br`, 'utf8'), 'old');
    assert.deepEqual(temps(`${root}/dst`), []);
  });

  it('fails on a destination that is a directory, removing the temp', async () => {
    const expect = await source('src/todir', Buffer.from('data'));
    mkdir(root, 'dst/todir');
    await assert.rejects(
      copyFileAtomic({ src: absOf(root, 'src/todir'), dst: absOf(root, 'dst/todir'), expect }),
      { code: 'EISDIR' },
    );
    assert.deepEqual(temps(`${root}/dst`), []);
  });
});

describe('symlinkAtomic', () => {
  let root = '';
  before(() => {
    root = makeTmp('symlink');
  });
  after(() => rmTmp(root));

  it('creates a link with the exact link text, relative, absolute or odd bytes', async () => {
    for (const [name, target] of [
      ['rel', '../../up/\xff x'],
      ['abs', '/abs/path/'],
      ['dots', './a//b/../c'],
    ]) {
      await symlinkAtomic(b(target as string), absOf(root, name as string));
      assert.equal(fs.readlinkSync(b(`${root}/${name}`), { encoding: 'buffer' }).toString('latin1'), target);
    }
  });

  it('replaces an existing file or link atomically, after beforeRename', async () => {
    put(root, 'f', 'old');
    let sawOld = false;
    await symlinkAtomic(b('new-target'), absOf(root, 'f'), async () => {
      sawOld = fs.readFileSync(`${root}/f`, 'utf8') === 'old';
    });
    assert.ok(sawOld);
    assert.equal(fs.readlinkSync(`${root}/f`), 'new-target');
    await symlinkAtomic(b('newer'), absOf(root, 'f'));
    assert.equal(fs.readlinkSync(`${root}/f`), 'newer');
    assert.deepEqual(temps(root), []);
  });

  it('leaves no temp when it cannot replace (a directory) or beforeRename fails', async () => {
    mkdir(root, 'd/inner');
    await assert.rejects(symlinkAtomic(b('x'), absOf(root, 'd')));
    const mine = new Error('no');
    let temp: Buffer | undefined;
    await assert.rejects(
      symlinkAtomic(
        b('x'),
        absOf(root, 'g'),
        async () => {
          throw mine;
        },
        (t) => {
          temp = t;
        },
      ),
      (e) => e === mine,
    );
    assert.ok(temp !== undefined && temp.toString('latin1').startsWith(`${root}/${TEMP_PREFIX}`));
    assert.deepEqual(temps(root), []);
    assert.equal(fs.existsSync(`${root}/g`), false);
  });
});

describe('symlinkNew', () => {
  let root = '';
  before(() => {
    root = makeTmp('symlink-new');
  });
  after(() => rmTmp(root));

  it('creates a link in place with the exact link text, after beforeCreate, without a temp', async () => {
    const order: string[] = [];
    await symlinkNew(b('../x/\xff y'), absOf(root, 'new\xff'), async () => {
      order.push(fs.existsSync(b(`${root}/new\xff`)) ? 'link before check' : 'check');
    });
    assert.deepEqual(order, ['check']);
    assert.equal(
      fs.readlinkSync(b(`${root}/new\xff`), { encoding: 'buffer' }).toString('latin1'),
      '../x/\xff y',
    );
    assert.deepEqual(temps(root), []);
  });

  it('leaves whatever appeared at the path alone and says it changed', async () => {
    put(root, 'file', 'mine');
    mkdir(root, 'dir');
    link(root, 'link', 'elsewhere');
    for (const name of ['file', 'dir', 'link'])
      await assert.rejects(symlinkNew(b('target'), absOf(root, name)), isChanged, name);
    assert.equal(fs.readFileSync(`${root}/file`, 'utf8'), 'mine');
    assert.ok(fs.lstatSync(`${root}/dir`).isDirectory());
    assert.equal(fs.readlinkSync(`${root}/link`), 'elsewhere');
  });

  it('creates nothing when beforeCreate throws', async () => {
    await assert.rejects(
      symlinkNew(b('t'), absOf(root, 'never'), async () => {
        throw new Error('folder swapped');
      }),
      /folder swapped/,
    );
    assert.equal(fs.existsSync(`${root}/never`), false);
  });
});

describe('sweepTemp', () => {
  it('removes a temp file, tolerates a missing one, refuses anything else', async () => {
    const root = makeTmp('sweep');
    try {
      const t = `${root}/${TEMP_PREFIX}0123456789abcdef`;
      put(root, `${TEMP_PREFIX}0123456789abcdef`);
      put(root, 'precious');
      await sweepTemp(b(t));
      assert.equal(fs.existsSync(t), false);
      await sweepTemp(b(t));
      await assert.rejects(sweepTemp(absOf(root, 'precious')), (e) => e instanceof LazysyncError);
      assert.equal(fs.existsSync(`${root}/precious`), true);
    } finally {
      rmTmp(root);
    }
  });
});
