import { after, afterEach, before, beforeEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { LocalChangeWatcher, type LocalRename } from './local-events.js';
import { NO_ADDON, b, makeTmp, rmTmp, sleep, waitFor } from '../../test/unit/watch.js';

const QUIET = 40;

describe('LocalChangeWatcher', { skip: NO_ADDON }, () => {
  let tmp: string;
  let L: string;
  let changes: number;
  /** What the last onChange named. */
  let named: string[] | 'all';
  /** The renames the last onChange reported. */
  let renames: LocalRename[];
  let w: LocalChangeWatcher;

  /** Run `action` and wait for exactly one onChange after it. */
  async function expectChange(what: string, action: () => void): Promise<void> {
    const before = changes;
    action();
    await waitFor(() => changes > before, `onChange after ${what}`, 2000);
    await sleep(QUIET * 3);
    assert.equal(changes, before + 1, `${what}: one onChange`);
  }

  async function expectNoChange(what: string, action: () => void): Promise<void> {
    const before = changes;
    action();
    await sleep(QUIET * 5);
    assert.equal(changes, before, `${what}: no onChange`);
  }

  before(() => {
    tmp = makeTmp('local-events');
  });
  after(() => rmTmp(tmp));
  beforeEach(async () => {
    L = fs.mkdtempSync(`${tmp}/L-`);
    fs.mkdirSync(`${L}/.lazysync/versions`, { recursive: true });
    fs.mkdirSync(`${L}/a/b`, { recursive: true });
    fs.writeFileSync(`${L}/a/b/f`, 'x');
    fs.symlinkSync('/', `${L}/rootlink`); // a symlink to a dir is never followed
    changes = 0;
    w = new LocalChangeWatcher(
      L,
      (c, r) => {
        changes++;
        named = c;
        renames = r;
      },
      { quietMs: QUIET, maxDelayMs: 200 },
    );
    await w.start();
  });
  afterEach(() => w.close());

  it('reports a rename inside L as one, from its paired events; a move out of L is not one', async () => {
    await expectChange('rename of a folder', () => fs.renameSync(`${L}/a`, `${L}/c`));
    assert.deepEqual(renames, [{ from: 'a', to: 'c' }]);
    await w.idle(); // the folder's new watches are in place
    await expectChange('rename of a file into another folder', () => fs.renameSync(`${L}/c/b/f`, `${L}/c/g`));
    assert.deepEqual(renames, [{ from: 'c/b/f', to: 'c/g' }]);
    await expectChange('a move out of L', () => fs.renameSync(`${L}/c/g`, `${tmp}/out-${process.pid}`));
    assert.deepEqual(renames, []);
  });

  it('watches every directory except .lazysync, and follows no symlink', () => {
    assert.equal(w.watched, 3); // L, a, a/b
  });

  it('writes, creates, deletes, renames and chmods lead to onChange naming the paths', async () => {
    await expectChange('a write', () => fs.writeFileSync(`${L}/a/b/f`, 'changed'));
    assert.deepEqual(named, ['a/b/f']);
    await expectChange('a create', () => fs.writeFileSync(b(`${L}/new \xff`), ''));
    assert.deepEqual(named, ['new \xff']);
    await expectChange('a delete', () => fs.unlinkSync(b(`${L}/new \xff`)));
    assert.deepEqual(named, ['new \xff']);
    await expectChange('a rename', () => fs.renameSync(`${L}/a/b/f`, `${L}/a/g`));
    assert.deepEqual(new Set(named), new Set(['a/b/f', 'a/g']));
    await expectChange('a chmod', () => fs.chmodSync(`${L}/a/g`, 0o600));
    assert.deepEqual(named, ['a/g']);
    await expectChange('a symlink', () => fs.symlinkSync('/remote/x', `${L}/a/placeholder`));
    assert.deepEqual(named, ['a/placeholder']);
  });

  it('names a new file when its writer closes it, not while it is being written', async () => {
    const fd = fs.openSync(`${L}/a/growing`, 'w');
    fs.writeSync(fd, 'part one');
    await expectChange('another write meanwhile', () => fs.writeFileSync(`${L}/a/b/f`, 'other'));
    assert.deepEqual(named, ['a/b/f'], 'the file still open for writing is not named yet');
    await expectChange('closing the new file', () => {
      fs.writeSync(fd, ', part two');
      fs.closeSync(fd);
    });
    assert.deepEqual(named, ['a/growing']);
  });

  it('watches new subdirectories, even those made before their parent was watched', async () => {
    await expectChange('mkdir -p', () => fs.mkdirSync(`${L}/n1/n2/n3`, { recursive: true }));
    await w.idle();
    assert.equal(w.watched, 6);
    await expectChange('a file in the new dir', () => fs.writeFileSync(`${L}/n1/n2/n3/f`, 'x'));
  });

  it('keeps watching a dir moved inside L, and stops for a dir moved out', async () => {
    await expectChange('mv a z', () => fs.renameSync(`${L}/a`, `${L}/z`));
    await w.idle();
    await expectChange('mkdir in the moved dir', () => fs.mkdirSync(`${L}/z/b/new`));
    await w.idle();
    await expectChange('a file in it', () => fs.writeFileSync(`${L}/z/b/new/f`, 'x'));
    assert.equal(w.watched, 4);
    const out = `${tmp}/moved-out-${Date.now()}`;
    await expectChange('mv z out of L', () => fs.renameSync(`${L}/z`, out));
    assert.equal(w.watched, 1);
    await expectNoChange('a write in the dir moved out', () => fs.writeFileSync(`${out}/b/new/f`, 'y'));
  });

  it('ignores everything in .lazysync', async () => {
    await expectNoChange('.lazysync writes', () => {
      fs.writeFileSync(`${L}/.lazysync/archive.db`, 'x');
      fs.mkdirSync(`${L}/.lazysync/versions/d`);
      fs.writeFileSync(`${L}/.lazysync/versions/d/f~1`, 'x');
      fs.chmodSync(`${L}/.lazysync`, 0o700);
    });
  });

  it('debounces a burst into one call, and calls at least every maxDelayMs while events continue', async () => {
    await expectChange('100 writes at once', () => {
      for (let i = 0; i < 100; i++) fs.writeFileSync(`${L}/burst-${i}`, 'x');
    });
    const before = changes;
    const t0 = Date.now();
    while (Date.now() - t0 < 700) {
      fs.writeFileSync(`${L}/a/b/f`, String(Date.now()));
      await sleep(QUIET / 4);
    }
    const during = changes - before;
    // At most 200 ms apart while writes go on; a busy machine may space the writes out and add more calls.
    assert.ok(during >= 2, `700 ms of writes every ${QUIET / 4} ms: ${during} calls`);
  });

  it('close() stops everything', async () => {
    w.close();
    await expectNoChange('a write after close', () => fs.writeFileSync(`${L}/a/b/f`, 'y'));
  });
});
