import { after, afterEach, before, beforeEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { spawnSync } from 'node:child_process';
import { InotifyAccessWatcher, type AccessKind } from './access-inotify.js';
import { NO_ADDON, b, makeTmp, rmTmp, sh, sleep, touchOpen, waitFor } from '../../test/unit/watch.js';

// A local temp dir stands in for the remote root R; placeholders in L are symlinks L/p -> R/p.
describe('InotifyAccessWatcher on a local stand-in for R', { skip: NO_ADDON }, () => {
  let tmp: string;
  let R: string;
  let L: string;
  let seen: [string, AccessKind][];
  let w: InotifyAccessWatcher;
  let barriers = 0;

  /** Open a root file and wait for its event: every event queued before it has been handled then. */
  async function barrier(): Promise<void> {
    const name = `.barrier-${++barriers}`;
    fs.writeFileSync(`${R}/${name}`, '');
    touchOpen(`${R}/${name}`);
    await waitFor(() => seen.some(([p]) => p === name), name);
    seen = seen.filter(([p]) => p !== name);
  }

  before(() => {
    tmp = makeTmp('access');
    R = `${tmp}/remote`;
    L = `${tmp}/local`;
    fs.mkdirSync(`${R}/sub`, { recursive: true });
    fs.mkdirSync(`${L}/sub`, { recursive: true });
    fs.writeFileSync(`${R}/sub/file`, 'remote content');
    fs.symlinkSync(`${R}/sub/file`, `${L}/sub/file`);
    fs.writeFileSync(b(`${R}/sub/\xff odd\nname`), 'x');
    fs.symlinkSync(b(`${R}/sub/\xff odd\nname`), b(`${L}/sub/\xff odd\nname`));
  });
  after(() => rmTmp(tmp));
  beforeEach(() => {
    seen = [];
    w = new InotifyAccessWatcher(R, { onAccess: (rel, kind) => seen.push([rel, kind]) });
    w.setDirs(['', 'sub']);
  });
  afterEach(() => w.close());

  it('reports a read through a placeholder as an open of its remote path, once', async () => {
    assert.equal(fs.readFileSync(`${L}/sub/file`, 'utf8'), 'remote content');
    await waitFor(() => seen.length > 0, 'the open');
    await sleep(20);
    assert.deepEqual(seen, [['sub/file', 'open']]);
  });

  it('keeps name bytes (non-UTF-8, newline)', async () => {
    touchOpen(`${L}/sub/\xff odd\nname`);
    await waitFor(() => seen.length > 0, 'the open');
    assert.deepEqual(seen[0], ['sub/\xff odd\nname', 'open']);
  });

  it('reports all of 200 short opens by 200 cat processes', async () => {
    fs.mkdirSync(`${R}/many`);
    fs.mkdirSync(`${L}/many`);
    for (let i = 0; i < 200; i++) {
      const n = `f${String(i).padStart(3, '0')}`;
      fs.writeFileSync(`${R}/many/${n}`, n);
      fs.symlinkSync(`${R}/many/${n}`, `${L}/many/${n}`);
    }
    w.setDirs(['', 'sub', 'many']);
    const t0 = performance.now();
    await sh('for f in "$1"/many/*; do cat "$f" > /dev/null; done', [L]);
    const opened = () =>
      new Set(seen.filter(([p, k]) => k === 'open' && p.startsWith('many/')).map(([p]) => p));
    await waitFor(() => opened().size === 200, '200 opens', 10000);
    const ms = performance.now() - t0;
    console.log(`# 200 cat processes: ${opened().size}/200 opens reported, ${ms.toFixed(0)} ms in all`);
    assert.equal(seen.filter(([, k]) => k === 'open').length, 200);
  });

  it('reports a write through a placeholder as open then close-write', async () => {
    fs.writeFileSync(`${L}/sub/file`, 'written locally');
    await waitFor(() => seen.some(([, k]) => k === 'close-write'), 'close-write');
    assert.deepEqual(seen, [
      ['sub/file', 'open'],
      ['sub/file', 'close-write'],
    ]);
    fs.writeFileSync(`${R}/sub/file`, 'remote content');
  });

  it('ignores directory opens (listings) and the .lazysync folder', async () => {
    fs.mkdirSync(`${R}/.lazysync`, { recursive: true });
    fs.writeFileSync(`${R}/.lazysync/marker`, '');
    w.setDirs(['', 'sub', '.lazysync', '.lazysync/versions']);
    assert.deepEqual(w.stats().wanted, 2);
    fs.readdirSync(`${R}/sub`);
    touchOpen(`${R}/.lazysync/marker`);
    await barrier();
    fs.readdirSync(R);
    await barrier();
    assert.deepEqual(seen, []);
  });

  it('setDirs() removing a dir stops its events and is idempotent', async () => {
    w.setDirs(['']);
    w.setDirs(['']);
    assert.deepEqual(w.stats(), { wanted: 1, watched: 1, watches: 1, limited: false });
    touchOpen(`${L}/sub/file`);
    await barrier();
    assert.deepEqual(seen, []);
    w.setDirs(['', 'sub']);
    touchOpen(`${L}/sub/file`);
    await waitFor(() => seen.length > 0, 'the open');
  });

  it('a missing wanted dir stays unwatched until it appears and refresh() adds it', async () => {
    w.setDirs(['', 'sub', 'later']);
    assert.deepEqual(w.unwatched(), ['later']);
    fs.mkdirSync(`${R}/later`);
    fs.writeFileSync(`${R}/later/x`, '');
    assert.deepEqual(w.refresh(), { repointed: 0, dropped: 0, added: 1 });
    touchOpen(`${R}/later/x`);
    await waitFor(() => seen.length > 0, 'the open');
    assert.deepEqual(seen[0], ['later/x', 'open']);
    fs.rmSync(`${R}/later`, { recursive: true });
    await barrier(); // IN_IGNORED has dropped the watch of the deleted dir
    assert.deepEqual(w.unwatched(), ['later']);
  });

  it('refresh() re-points a dir whose name now leads to a new inode (mv sub sub2 && mkdir sub)', async () => {
    fs.renameSync(`${R}/sub`, `${R}/sub2`);
    fs.mkdirSync(`${R}/sub`);
    fs.writeFileSync(`${R}/sub/new`, '');
    try {
      // On a local fs the watch follows the inode: an open in sub2 is still reported under the old name.
      touchOpen(`${R}/sub2/file`);
      await waitFor(() => seen.length > 0, 'the stale open');
      assert.deepEqual(seen[0], ['sub/file', 'open']);
      assert.deepEqual(w.refresh(), { repointed: 1, dropped: 0, added: 0 });
      assert.deepEqual(w.refresh(), { repointed: 0, dropped: 0, added: 0 });
      seen.length = 0;
      touchOpen(`${R}/sub2/file`);
      await barrier();
      assert.deepEqual(seen, [], 'the old inode is no longer watched');
      touchOpen(`${R}/sub/new`);
      await waitFor(() => seen.length > 0, 'the open');
      assert.deepEqual(seen[0], ['sub/new', 'open']);
    } finally {
      fs.rmSync(`${R}/sub`, { recursive: true });
      fs.renameSync(`${R}/sub2`, `${R}/sub`);
    }
  });

  it('two wanted names of one inode share a watch until refresh() tells them apart', async () => {
    fs.renameSync(`${R}/sub`, `${R}/sub2`);
    try {
      w.setDirs(['', 'sub', 'sub2']); // sub2 is the inode already watched as 'sub': the same wd
      assert.deepEqual(w.stats(), { wanted: 3, watched: 3, watches: 2, limited: false });
      touchOpen(`${R}/sub2/file`);
      await waitFor(() => seen.length === 2, 'two reports');
      assert.deepEqual(seen.map(([p]) => p).sort(), ['sub/file', 'sub2/file']);
      fs.mkdirSync(`${R}/sub`);
      assert.deepEqual(w.refresh(), { repointed: 1, dropped: 0, added: 0 });
      assert.deepEqual(w.stats().watches, 3);
      seen.length = 0;
      touchOpen(`${R}/sub2/file`);
      await barrier();
      assert.deepEqual(seen, [['sub2/file', 'open']]);
    } finally {
      fs.rmSync(`${R}/sub`, { recursive: true, force: true });
      fs.renameSync(`${R}/sub2`, `${R}/sub`);
    }
  });

  it('follows the root itself when it is a symlink', async () => {
    fs.symlinkSync(R, `${tmp}/alias`);
    const w2 = new InotifyAccessWatcher(`${tmp}/alias/`, { onAccess: (rel, kind) => seen.push([rel, kind]) });
    try {
      w2.setDirs(['', 'sub']);
      touchOpen(`${R}/sub/file`);
      await waitFor(() => seen.length === 2, 'both watchers');
      assert.deepEqual(seen, [
        ['sub/file', 'open'],
        ['sub/file', 'open'],
      ]);
    } finally {
      w2.close();
      fs.unlinkSync(`${tmp}/alias`);
    }
  });

  it('does not follow a symlink in place of a non-root dir', () => {
    fs.symlinkSync(`${R}/sub`, `${R}/linkdir`);
    try {
      w.setDirs(['', 'sub', 'linkdir']);
      assert.deepEqual(w.unwatched(), ['linkdir']);
    } finally {
      fs.unlinkSync(`${R}/linkdir`);
    }
  });

  it('close() stops all events', async () => {
    w.close();
    touchOpen(`${L}/sub/file`);
    await sleep(50);
    assert.deepEqual(seen, []);
  });
});

// max_user_watches is a per-user limit; a private user namespace gets its own (/proc/sys/user/max_inotify_watches).
const unshareOk = spawnSync('unshare', ['-Ur', 'true']).status === 0;

describe(
  'InotifyAccessWatcher at the watch limit',
  { skip: NO_ADDON || (!unshareOk && 'unshare -Ur unavailable') },
  () => {
    it('calls onLimit once, names the sysctl, stops adding and keeps what it has', () => {
      const tmp = makeTmp('limit');
      try {
        for (let i = 0; i < 6; i++) fs.mkdirSync(`${tmp}/d${i}`);
        const url = new URL('./access-inotify.js', import.meta.url).href;
        const src = `
        import { InotifyAccessWatcher } from ${JSON.stringify(url)};
        import fs from 'node:fs';
        fs.writeFileSync('/proc/sys/user/max_inotify_watches', '3');
        const limits = [];
        const w = new InotifyAccessWatcher(process.argv[1], { onAccess() {}, onLimit: (m) => limits.push(m) });
        w.setDirs(['d0', 'd1', 'd2', 'd3', 'd4', 'd5']);
        w.setDirs(['d0', 'd1', 'd2', 'd3', 'd4', 'd5']);
        w.refresh();
        console.log(JSON.stringify({ limits, stats: w.stats(), unwatched: w.unwatched() }));
        w.close();`;
        const r = spawnSync('unshare', ['-Ur', process.execPath, '--input-type=module', '-e', src, tmp], {
          encoding: 'utf8',
        });
        assert.equal(r.status, 0, r.stderr);
        const out = JSON.parse(r.stdout) as {
          limits: string[];
          stats: { watched: number; limited: boolean };
          unwatched: string[];
        };
        assert.equal(out.limits.length, 1);
        assert.match(out.limits[0] ?? '', /\/proc\/sys\/fs\/inotify\/max_user_watches/);
        assert.equal(out.stats.watched, 3);
        assert.equal(out.stats.limited, true);
        assert.deepEqual(out.unwatched, ['d3', 'd4', 'd5']);
        console.log(`# onLimit message: ${out.limits[0]}`);
      } finally {
        rmTmp(tmp);
      }
    });
  },
);
