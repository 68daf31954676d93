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
import { scanTree, type ScanOptions } from './walk.js';

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
