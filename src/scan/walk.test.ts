import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import { comparePaths } from '../core/paths.js';
import type { Entry, RelPath } from '../core/types.js';
import { LazysyncError } from '../errors.js';
import { moduleForOtherUsers, NOBODY } from '../../test/fixture/other-user.js';
import { b, link, makeTmp, mkdir, put, rmTmp } from '../../test/unit/fs.js';
import type { Listing } from './listdir.js';
import { scanTree, walkListings, type ScanOptions } from './walk.js';

async function scan(root: string, opts: Partial<ScanOptions> = {}): Promise<[RelPath, Entry][]> {
  const out: [RelPath, Entry][] = [];
  for await (const pair of scanTree(root, { side: 'local', concurrency: 4, ...opts })) out.push(pair);
  return out;
}

const LONG = 'n'.repeat(255);

describe('scanTree on a real tree', () => {
  let root = '';
  before(() => {
    root = makeTmp('walk');
    for (const f of ['a-b', 'a.b', 'B', 'ab', 'a0', '\xff', '\xc3\xa9t\xc3\xa9', 'new\nline', 'sp ace', LONG])
      put(root, f);
    put(root, 'a/x/deep');
    put(root, 'a/x-y');
    put(root, 'a/\xfe\xff/z');
    put(root, `a/${LONG}/${LONG}`);
    mkdir(root, 'empty');
    link(root, 'l-rel', '../a/x');
    link(root, 'l-abs', `${root}/a`);
    link(root, 'l-dangling', 'does/not/exist');
    link(root, 'l-dir', 'a');
    link(root, 'a/x/l-\xff', '../\xff');
  });
  after(() => rmTmp(root));

  it('yields every entry once, in comparePaths order, with byte-exact names', async () => {
    const got = (await scan(root)).map(([p]) => p);
    const expected = [
      'a',
      'a/x',
      'a/x/deep',
      'a/x/l-\xff',
      'a/x-y',
      'a/\xfe\xff',
      'a/\xfe\xff/z',
      `a/${LONG}`,
      `a/${LONG}/${LONG}`,
      'a-b',
      'a.b',
      'B',
      'ab',
      'a0',
      '\xff',
      '\xc3\xa9t\xc3\xa9',
      'new\nline',
      'sp ace',
      LONG,
      'empty',
      'l-rel',
      'l-abs',
      'l-dangling',
      'l-dir',
    ].sort(comparePaths);
    assert.deepEqual(got, expected);
    assert.equal(
      got.indexOf('a/x/deep') < got.indexOf('a-b'),
      true,
      'a directory comes right before its contents',
    );
  });

  it('gives the same result at concurrency 1 and 64', async () => {
    assert.deepEqual(await scan(root, { concurrency: 1 }), await scan(root, { concurrency: 64 }));
  });

  it('reports files, dirs and symlinks from lstat, never following a link', async () => {
    const m = new Map(await scan(root));
    const st = fs.lstatSync(b(`${root}/a.b`));
    assert.deepEqual(m.get('a.b'), {
      kind: 'file',
      size: 1,
      mtime: st.mtimeMs,
      mode: st.mode & 0o7777,
      ino: st.ino,
    });
    assert.equal(m.get('a')?.kind, 'dir');
    assert.equal(m.get('a')?.mtime, 0);
    for (const [p, t] of [
      ['l-rel', '../a/x'],
      ['l-abs', `${root}/a`],
      ['l-dangling', 'does/not/exist'],
      ['l-dir', 'a'],
      ['a/x/l-\xff', '../\xff'],
    ] as const) {
      assert.deepEqual(m.get(p), { kind: 'symlink', size: 0, mtime: 0, mode: 0, ino: 0, target: t }, p);
    }
    assert.equal(
      [...m.keys()].some((p) => p.startsWith('l-dir/') || p.startsWith('l-abs/')),
      false,
    );
  });

  it('reports ino 0 on the remote side', async () => {
    const m = new Map(await scan(root, { side: 'remote' }));
    assert.equal(m.get('a.b')?.ino, 0);
    assert.equal(m.get('a')?.ino, 0);
  });
});

describe('scanTree: what is left out', () => {
  let root = '';
  const warnings: [RelPath, string][] = [];
  const temps: RelPath[] = [];
  let server: net.Server | undefined;
  before(async () => {
    root = makeTmp('walk-skip');
    put(root, '.lazysync/archive.db');
    put(root, '.lazysync/versions/f~20240101-000000');
    put(root, 'd/.lazysync/inner');
    put(root, '.lazysync-tmp-0123456789abcdef');
    put(root, 'd/.lazysync-tmp-fedcba9876543210');
    put(root, 'keep');
    execFileSync('mkfifo', [`${root}/fifo`]);
    server = net.createServer();
    await new Promise<void>((resolve) => server?.listen(`${root}/sock`, resolve));
    for await (const _ of scanTree(root, {
      side: 'local',
      concurrency: 4,
      onWarning: (p, msg) => warnings.push([p, msg]),
      onStrayTemp: (p) => temps.push(p),
    }));
  });
  after(async () => {
    await new Promise((resolve) => server?.close(resolve));
    rmTmp(root);
  });

  it('never enters .lazysync at the root; a deeper .lazysync is ordinary data', async () => {
    const got = (await scan(root)).map(([p]) => p);
    assert.deepEqual(got, ['d', 'd/.lazysync', 'd/.lazysync/inner', 'keep']);
  });

  it('reports stray temp files anywhere and does not yield them', () => {
    assert.deepEqual(temps, ['.lazysync-tmp-0123456789abcdef', 'd/.lazysync-tmp-fedcba9876543210']);
  });

  it('skips a FIFO and a socket with a warning', () => {
    assert.deepEqual(warnings, [
      ['fifo', 'special file skipped (fifo)'],
      ['sock', 'special file skipped (socket)'],
    ]);
  });
});

describe('scanTree with ignore rules and placeholders', () => {
  let root = '';
  before(() => {
    root = makeTmp('walk-ign');
    put(root, 'build/out.o');
    put(root, 'src/build');
    put(root, 'src/main.c');
    put(root, 'src/main.o');
    link(root, 'ph', '/remote/root/ph');
    link(root, 'src/ph2', '/remote/root/src/ph2');
    link(root, 'other', '/remote/root/elsewhere');
  });
  after(() => rmTmp(root));

  it('leaves out ignored paths and everything below an ignored directory', async () => {
    const asked: [RelPath, boolean][] = [];
    const ignore = (p: RelPath, isDir: boolean): boolean => {
      asked.push([p, isDir]);
      return p.endsWith('.o') || (isDir && p.endsWith('build'));
    };
    const got = (await scan(root, { ignore })).map(([p]) => p);
    assert.deepEqual(got, ['other', 'ph', 'src', 'src/build', 'src/main.c', 'src/ph2']);
    assert.equal(
      asked.some(([p]) => p.startsWith('build/')),
      false,
      'an ignored directory is not listed',
    );
  });

  it('tells placeholders from user symlinks on the local side only', async () => {
    const local = new Map(await scan(root, { placeholderRoot: '/remote/root' }));
    assert.equal(local.get('ph')?.kind, 'placeholder');
    assert.equal(local.get('ph')?.target, '/remote/root/ph');
    assert.equal(local.get('src/ph2')?.kind, 'placeholder');
    assert.equal(local.get('other')?.kind, 'symlink');
    const remote = new Map(await scan(root, { side: 'remote', placeholderRoot: '/remote/root' }));
    assert.equal(remote.get('ph')?.kind, 'symlink');
  });
});

describe('scanTree failures', () => {
  it('throws local-unavailable/remote-unavailable when the root is missing, never yielding nothing', async () => {
    const root = makeTmp('walk-gone');
    rmTmp(root);
    for (const side of ['local', 'remote'] as const) {
      await assert.rejects(scan(root, { side }), (e: unknown) => {
        assert.ok(e instanceof LazysyncError);
        assert.equal(e.code, `${side}-unavailable`);
        assert.equal((e.cause as NodeJS.ErrnoException).code, 'ENOENT');
        return true;
      });
    }
  });

  it('throws when the root is a file', async () => {
    const dir = makeTmp('walk-file');
    try {
      put(dir, 'f');
      await assert.rejects(scan(`${dir}/f`, { side: 'remote' }), { code: 'remote-unavailable' });
    } finally {
      rmTmp(dir);
    }
  });

  it('yields an unlistable directory as unreadable and does not enter it (run as nobody)', async (t) => {
    if (process.getuid?.() !== 0) return t.skip('needs root to run the scan as another user');
    const root = makeTmp('walk-eacces');
    try {
      fs.chmodSync(root, 0o755);
      put(root, 'locked/secret');
      put(root, 'noexec/f');
      put(root, 'ok/f');
      fs.chmodSync(`${root}/locked`, 0o000); // readdir: EACCES
      fs.chmodSync(`${root}/noexec`, 0o644); // readdir works, lstat of its entries: EACCES
      // A copy any user can read: the checkout may sit in a folder only its owner can enter.
      const walkUrl = moduleForOtherUsers(new URL('./walk.js', import.meta.url));
      const script = `
        import { scanTree } from ${JSON.stringify(walkUrl)};
        const out = { entries: [], warnings: [] };
        for await (const [p, e] of scanTree(process.argv[1], { side: 'local', concurrency: 4,
          onWarning: (p, m) => out.warnings.push([p, m]) })) out.entries.push([p, e.kind, e.unreadable ?? false]);
        console.log(JSON.stringify(out));`;
      const r = spawnSync(process.execPath, ['--input-type=module', '-e', script, root], {
        uid: NOBODY,
        gid: NOBODY,
        cwd: '/',
        encoding: 'utf8',
      });
      assert.equal(r.status, 0, r.stderr);
      const out = JSON.parse(r.stdout) as {
        entries: [string, string, boolean][];
        warnings: [string, string][];
      };
      assert.deepEqual(out.entries, [
        ['locked', 'dir', true],
        ['noexec', 'dir', true],
        ['ok', 'dir', false],
        ['ok/f', 'file', false],
      ]);
      assert.deepEqual(
        out.warnings.map(([p]) => p),
        ['locked', 'noexec'],
      );
      assert.match(out.warnings[0]?.[1] ?? '', /EACCES/);
    } finally {
      rmTmp(root);
    }
  });
});

// A synthetic tree for the ordered walk: dir `p` has subdirectories p/0..p/(fanout-1) down to `depth`,
// plus one file each; listings resolve after `delay` ms.
function fakeTree(fanout: number, depth: number, delay: number) {
  const stats = { calls: 0, inFlight: 0, maxInFlight: 0, listed: [] as RelPath[] };
  const dirE: Entry = { kind: 'dir', size: 0, mtime: 0, mode: 0o755, ino: 0 };
  const fileE: Entry = { kind: 'file', size: 1, mtime: 1000, mode: 0o644, ino: 0 };
  const list = async (rel: RelPath): Promise<Listing> => {
    stats.calls++;
    stats.listed.push(rel);
    stats.inFlight++;
    stats.maxInFlight = Math.max(stats.maxInFlight, stats.inFlight);
    await new Promise((r) => setTimeout(r, delay));
    stats.inFlight--;
    const level = rel === '' ? 0 : rel.split('/').length;
    const children = [{ rel: rel === '' ? 'f' : `${rel}/f`, entry: fileE }];
    if (level < depth) {
      for (let i = 0; i < fanout; i++)
        children.push({ rel: rel === '' ? `${i}` : `${rel}/${i}`, entry: dirE });
    }
    children.sort((x, y) => comparePaths(x.rel, y.rel));
    return { status: 'ok', children, warnings: [], strayTemps: [] };
  };
  return { list, stats };
}

const hooks = { rootFailed: () => new Error('root failed') };

describe('walkListings: ordering, overlap and the prefetch bound', () => {
  it('yields a 1,110-directory tree in order, listing each directory once, with listings overlapping', async () => {
    const { list, stats } = fakeTree(10, 3, 1);
    const limit = 8;
    const maxBuffered = 55; // entries: five listings of 11 (ten subdirectories and a file)
    const got: RelPath[] = [];
    let yieldedDirs = 0;
    let worstAhead = 0;
    const counted = async (rel: RelPath): Promise<Listing> => {
      // started and not yet yielded, beyond the root (the walk may hold one taken but not yet yielded)
      worstAhead = Math.max(worstAhead, stats.calls + 1 - 1 - yieldedDirs);
      return list(rel);
    };
    for await (const [p, e] of walkListings(counted, limit, hooks, undefined, maxBuffered)) {
      got.push(p);
      if (e.kind === 'dir') yieldedDirs++;
    }
    assert.deepEqual(got, [...got].sort(comparePaths));
    assert.equal(got.length, 1110 + 1111); // the dirs below the root, and one file in every dir
    assert.equal(stats.calls, 1111);
    assert.equal(new Set(stats.listed).size, 1111);
    assert.ok(stats.maxInFlight >= 2, `listings overlap (max in flight ${stats.maxInFlight})`);
    assert.ok(stats.maxInFlight <= limit + 1, `at most limit+1 in flight, saw ${stats.maxInFlight}`);
    // In flight plus done and kept: at most limit + maxBuffered / 11 (+1 overshoot, +1 taken, +1 forced).
    assert.ok(worstAhead <= limit + 5 + 3, `listings ahead of the consumer stay bounded, saw ${worstAhead}`);
  });

  it('keeps its slots busy while the listing it waits for is slow', async () => {
    const { list: fast, stats } = fakeTree(10, 2, 0);
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const list = async (rel: RelPath): Promise<Listing> => {
      if (rel === '0') await gate; // the first directory the walk enters is slow to list
      return fast(rel);
    };
    const limit = 4;
    const it = walkListings(list, limit, hooks);
    const first = it.next(); // pending until '0' is listed
    // Everything but '0' (still waiting) and its subdirectories (unknown) can be listed meanwhile: the root,
    // '1'..'9' and their ten subdirectories each.
    const deadline = Date.now() + 5000;
    while (stats.calls < 100 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
    assert.equal(stats.calls, 100, `other listings went on while '0' was slow: ${stats.calls} started`);
    release();
    const got: RelPath[] = [];
    const r = await first;
    if (!r.done) got.push(r.value[0]);
    for await (const [p] of it) got.push(p);
    assert.deepEqual(got, [...got].sort(comparePaths));
    assert.equal(new Set(stats.listed).size, 111);
  });

  it('stops prefetching while the consumer does not pull (once maxBuffered entries are kept), and after it stops', async () => {
    const { list, stats } = fakeTree(50, 2, 0);
    const limit = 4;
    const it = walkListings(list, limit, hooks, undefined, 102); // two listings of 51 entries
    await it.next();
    await new Promise((r) => setTimeout(r, 50));
    assert.ok(stats.calls <= 1 + 2 + limit, `root + what fills the buffer + in flight, saw ${stats.calls}`);
    await it.return(undefined);
    const callsAtClose = stats.calls;
    await new Promise((r) => setTimeout(r, 50));
    assert.equal(stats.calls, callsAtClose, 'nothing is started after the walk is closed');
  });

  it('skips a vanished directory and marks an unreadable one, warning once', async () => {
    const dirE: Entry = { kind: 'dir', size: 0, mtime: 0, mode: 0o755, ino: 0 };
    const listings: Record<string, Listing> = {
      '': {
        status: 'ok',
        children: ['gone', 'locked', 'ok'].map((rel) => ({ rel, entry: dirE })),
        warnings: [],
        strayTemps: [],
      },
      gone: { status: 'vanished', reason: 'vanished', cause: undefined },
      locked: { status: 'unreadable', reason: 'cannot list directory (EACCES)', cause: undefined },
      ok: { status: 'ok', children: [], warnings: [['ok/p', 'special file skipped (fifo)']], strayTemps: [] },
    };
    const warnings: [RelPath, string][] = [];
    const got: [RelPath, Entry][] = [];
    for await (const pair of walkListings(async (rel) => listings[rel] as Listing, 2, {
      ...hooks,
      onWarning: (p, m) => warnings.push([p, m]),
    })) {
      got.push(pair);
    }
    assert.deepEqual(got, [
      ['locked', { ...dirE, unreadable: true }],
      ['ok', dirE],
    ]);
    assert.deepEqual(warnings, [
      ['locked', 'cannot list directory (EACCES); nothing below it is synced'],
      ['ok/p', 'special file skipped (fifo)'],
    ]);
  });

  it('propagates an error thrown by a listing (a dead mount) instead of yielding less', async () => {
    const gone = new LazysyncError('remote-unavailable', 'remote root /r is unavailable: ENOTCONN');
    const { list } = fakeTree(3, 2, 0);
    const failing = async (rel: RelPath): Promise<Listing> => {
      if (rel === '1/2') throw gone;
      return list(rel);
    };
    const got: RelPath[] = [];
    await assert.rejects(
      (async () => {
        for await (const [p] of walkListings(failing, 4, hooks)) got.push(p);
      })(),
      (e) => e === gone,
    );
    assert.equal(got.includes('1/2'), false);
    assert.equal(got.includes('2'), false, 'nothing after the failed directory is yielded');
  });

  it('throws rootFailed when the root does not list', async () => {
    await assert.rejects(
      (async () => {
        for await (const _ of walkListings(
          async () => ({ status: 'vanished', reason: 'x', cause: undefined }),
          2,
          hooks,
        ));
      })(),
      { message: 'root failed' },
    );
  });
});
