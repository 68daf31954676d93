// Local moves and renames through the real CLI on sshfs: a file, placeholder or folder moved in L is
// renamed on the remote (the server's file keeps its inode), never sent again, never a symlink there, and
// the mass-delete guard counts only deletions. The remote side as other machines see it is the server's
// folder, read directly.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdir, symlink, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import {
  describeResult,
  entryAt,
  exists,
  killAllCli,
  listVersions,
  newPair,
  nowSec,
  readSpec,
  startRemote,
  sync,
  syncEager,
  syncRaw,
  type Remote,
} from '../fixture/index.js';
import {
  asPlaceholders,
  assertRenamedInPlace,
  assertSettled,
  folderOf,
  inodes,
  localView,
  moveOf,
  mv,
  renamed,
  seedServer,
  withDirs,
} from '../fixture/moves.js';

const execFileP = promisify(execFile);
const BASE = nowSec() - 7200; // mtime of the synced ancestor

describe('moves made locally', { timeout: 300_000, concurrency: 3 }, () => {
  let remote: Remote;
  before(async () => {
    remote = await startRemote();
  });
  after(async () => {
    await killAllCli();
    await remote.stop();
  });

  it('lazy: mv of a placeholder renames the remote file; the placeholder names the new path', async () => {
    const p = await newPair(remote, 'lazy-file');
    const seed = { 'a.txt': 'the content of a\n', 'other.txt': 'other\n' };
    await seedServer(p, seed, BASE);
    await sync(p);
    assert.deepEqual(await localView(p), asPlaceholders(seed));
    const serverIno = await inodes(p.server);

    await mv(p.local, 'a.txt', 'b.txt');
    await sync(p);
    const expected = { 'b.txt': 'the content of a\n', 'other.txt': 'other\n' };
    assert.deepEqual(await readSpec(p.server), expected, 'the server: b.txt a regular file, no a.txt');
    assert.deepEqual(await localView(p), asPlaceholders(expected), 'local: b.txt a placeholder of b.txt');
    await assertRenamedInPlace(p.server, serverIno, moveOf('a.txt', 'b.txt'), 'server');
    assert.deepEqual(await listVersions(p.server), [], 'remote versions');
    assert.deepEqual(await listVersions(p.local), [], 'local versions');
    await assertSettled(p, true);
  });

  it('lazy: mv of a folder of 20 placeholders (some in a subfolder) renames it on the remote', async () => {
    const p = await newPair(remote, 'lazy-folder');
    const seed = { ...folderOf('proj', 20, 6), 'top.txt': 'top\n' };
    await seedServer(p, seed, BASE);
    await sync(p);
    assert.deepEqual(await localView(p), asPlaceholders(withDirs(seed)));
    const serverIno = await inodes(p.server);

    await mv(p.local, 'proj', 'project2');
    await sync(p);
    const expected = withDirs(renamed(seed, 'proj', 'project2'));
    assert.deepEqual(await readSpec(p.server), expected);
    assert.deepEqual(await localView(p), asPlaceholders(expected));
    await assertRenamedInPlace(p.server, serverIno, moveOf('proj', 'project2'), 'server');
    assert.deepEqual(await listVersions(p.server), [], 'remote versions');
    assert.deepEqual(await listVersions(p.local), [], 'local versions');
    await assertSettled(p, true);
  });

  it('eager: mv of a 40-file folder of a 41-file pair is no mass deletion; renamed on the remote', async () => {
    const p = await newPair(remote, 'eager-album');
    const seed = { ...folderOf('album', 40, 8), 'readme.txt': 'readme\n' };
    await seedServer(p, seed, BASE);
    await syncEager(p);
    const serverIno = await inodes(p.server);
    const localIno = await inodes(p.local);

    await mv(p.local, 'album', 'album-2026');
    const r = await syncRaw(p, ['-L', 'n']);
    assert.equal(r.code, 0, `the pass stopped without --confirm-deletes?\n${describeResult(r)}`);
    const expected = withDirs(renamed(seed, 'album', 'album-2026'));
    assert.deepEqual(await readSpec(p.server), expected);
    assert.deepEqual(await readSpec(p.local), expected);
    await assertRenamedInPlace(p.server, serverIno, moveOf('album', 'album-2026'), 'server');
    await assertRenamedInPlace(
      p.local,
      localIno,
      moveOf('album', 'album-2026'),
      'local (nothing downloaded)',
    );
    assert.deepEqual(await listVersions(p.server), [], 'remote versions');
    assert.deepEqual(await listVersions(p.local), [], 'local versions');
    await assertSettled(p, false);
  });

  it('eager: a file renamed, moved into an existing folder and into a new one; a folder moved into another', async () => {
    const p = await newPair(remote, 'eager-files');
    const seed = {
      'x.txt': 'x\n',
      'y.txt': 'y\n',
      'z.txt': 'z\n',
      'docs/readme.txt': 'readme\n',
      'pics/one.jpg': 'one\n',
      'pics/two.jpg': 'two\n',
    };
    await seedServer(p, seed, BASE);
    await syncEager(p);
    const serverIno = await inodes(p.server);

    await mv(p.local, 'x.txt', 'x-renamed.txt');
    await mv(p.local, 'y.txt', 'docs/y.txt');
    await mkdir(join(p.local, 'new'));
    await mv(p.local, 'z.txt', 'new/z.txt');
    await mv(p.local, 'pics', 'docs/pics');
    await syncEager(p);
    const moves: [string, string][] = [
      ['x.txt', 'x-renamed.txt'],
      ['y.txt', 'docs/y.txt'],
      ['z.txt', 'new/z.txt'],
      ['pics', 'docs/pics'],
    ];
    const moved = (rel: string): string => moves.reduce((r, [from, to]) => moveOf(from, to)(r), rel);
    const expected = withDirs(Object.fromEntries(Object.entries(seed).map(([rel, c]) => [moved(rel), c])));
    assert.deepEqual(await readSpec(p.server), expected);
    assert.deepEqual(await readSpec(p.local), expected);
    await assertRenamedInPlace(p.server, serverIno, moved, 'server');
    assert.deepEqual(await listVersions(p.server), [], 'remote versions');
    assert.deepEqual(await listVersions(p.local), [], 'local versions');
    await assertSettled(p, false);
  });

  it('eager: the dry run of a moved folder also shows what changed inside it, and the pass does just that', async () => {
    const p = await newPair(remote, 'eager-dry-run');
    const seed = { ...folderOf('album', 4), 'readme.txt': 'readme\n' };
    await seedServer(p, seed, BASE);
    await syncEager(p);
    const serverIno = await inodes(p.server);

    await mv(p.local, 'album', 'album-2026');
    await unlink(join(p.local, 'album-2026/f00.txt'));
    await writeFile(join(p.local, 'album-2026/new.txt'), 'new in the moved folder\n');
    const dry = await syncEager(p, '--dry-run');
    const lines = dry.stdout.split('\n');
    assert.ok(
      lines.some((l) => /^move:remote album -> album-2026$/.test(l)),
      `the move is shown\n${describeResult(dry)}`,
    );
    assert.ok(
      lines.some((l) => /^remove:remote album(-2026)?\/f00\.txt$/.test(l)),
      `the deletion inside the moved folder is shown\n${describeResult(dry)}`,
    );
    assert.ok(
      lines.some((l) => /^upload album-2026\/new\.txt$/.test(l)),
      `the new file inside the moved folder is shown\n${describeResult(dry)}`,
    );

    await syncEager(p);
    const kept = Object.fromEntries(Object.entries(seed).filter(([rel]) => rel !== 'album/f00.txt'));
    const expected = withDirs({
      ...renamed(kept, 'album', 'album-2026'),
      'album-2026/new.txt': 'new in the moved folder\n',
    });
    assert.deepEqual(await readSpec(p.server), expected);
    const moved = new Map([...serverIno].filter(([rel]) => rel !== 'album/f00.txt'));
    await assertRenamedInPlace(p.server, moved, moveOf('album', 'album-2026'), 'server');
    const versions = await listVersions(p.server);
    assert.equal(versions.length, 1, `one remote version, of f00.txt: ${versions.join(', ')}`);
    assert.match(versions[0] ?? '', /^album(-2026)?\/f00~/);
    await assertSettled(p, false);
  });

  it('lazy: cp -P of a placeholder is a copy of the remote file; the copy becomes its own placeholder', async () => {
    const p = await newPair(remote, 'lazy-copy');
    await seedServer(p, { 'a.txt': 'the content of a\n' }, BASE);
    await sync(p);
    const serverIno = await inodes(p.server);

    await execFileP('cp', ['-P', join(p.local, 'a.txt'), join(p.local, 'c.txt')]);
    await sync(p);
    const expected = { 'a.txt': 'the content of a\n', 'c.txt': 'the content of a\n' };
    assert.deepEqual(await readSpec(p.server), expected, 'the server: c.txt a regular file');
    assert.equal((await inodes(p.server)).get('a.txt'), serverIno.get('a.txt'), 'a.txt left as it was');
    assert.deepEqual(await localView(p), asPlaceholders(expected));
    assert.deepEqual(await listVersions(p.server), [], 'remote versions');
    await assertSettled(p, true);
  });

  it('lazy: a local symlink into R that names nothing there is reported, and the remote gets nothing', async () => {
    const p = await newPair(remote, 'lazy-dangling');
    await seedServer(p, { 'a.txt': 'a\n' }, BASE);
    await sync(p);
    const name = 'into-remote-nothing';
    const target = join(p.remote, 'nothing-here.txt');
    await symlink(target, join(p.local, name));

    for (const pass of ['first', 'second']) {
      // The first pass must say so; later ones may stay quiet about what they already reported.
      const r = await syncRaw(p, ['-L', 'y']);
      assert.ok(
        pass === 'second' || `${r.stdout}\n${r.stderr}`.includes(name),
        `${pass} pass: no message names ${name}\n${describeResult(r)}`,
      );
      assert.equal(await exists(p.server, name), false, `${pass} pass: the server got ${name}`);
      assert.deepEqual(await readSpec(p.server), { 'a.txt': 'a\n' }, `${pass} pass: the server`);
      assert.deepEqual(
        await entryAt(p.local, name),
        { kind: 'symlink', target },
        `${pass} pass: the local symlink was not left alone`,
      );
    }
    // Once the user removes it, the pair is as before.
    await unlink(join(p.local, name));
    await assertSettled(p, true);
  });

  it('the mass-delete guard counts the deletions of a pass, not its moves', async () => {
    const p = await newPair(remote, 'guard');
    const loose = Object.fromEntries(Array.from({ length: 20 }, (_, i) => [`f${i}.txt`, `loose ${i}\n`]));
    const seed = { ...folderOf('keep', 10), ...loose };
    await seedServer(p, seed, BASE);
    await sync(p);
    const serverIno = await inodes(p.server);

    // 16 deletions of 30 files: over the 50% share whatever the 10 moved files count as.
    await mv(p.local, 'keep', 'kept');
    for (let i = 0; i < 16; i++) await unlink(join(p.local, `f${i}.txt`));
    const stopped = await syncRaw(p, ['-L', 'y']);
    assert.equal(stopped.code, 1, describeResult(stopped));
    assert.match(stopped.stderr, /would delete 16 of \d+ files/, describeResult(stopped));
    // Nothing is deleted before the user confirms.
    const server = await readSpec(p.server);
    for (const [rel, content] of Object.entries(loose))
      assert.equal(server[rel], content, `${rel} on the remote`);
    assert.deepEqual(await listVersions(p.server), [], 'remote versions made by the stopped pass');
    // The moves may be made before the guard counts what is left (docs/design.md), or not at all; either
    // way what the pass says is what it did.
    if (await exists(p.server, 'kept')) {
      assert.doesNotMatch(
        stopped.stderr,
        /nothing was changed/,
        'the stopped pass says nothing was changed, yet it moved keep to kept on the remote',
      );
    } else {
      assert.deepEqual(server, withDirs(seed), 'the stopped pass changed the remote');
    }

    await sync(p, '--confirm-deletes');
    const left = Object.fromEntries(Object.entries(loose).slice(16));
    const expected = withDirs({ ...renamed(folderOf('keep', 10), 'keep', 'kept'), ...left });
    assert.deepEqual(await readSpec(p.server), expected);
    assert.deepEqual(await localView(p), asPlaceholders(expected));
    await assertRenamedInPlace(p.server, serverIno, moveOf('keep', 'kept'), 'server');
    const versions = (await listVersions(p.server)).map((v) => v.replace(/~.*/, ''));
    assert.deepEqual(
      versions.sort(),
      Array.from({ length: 16 }, (_, i) => `f${i}`).sort(),
      'the remote versions hold the deleted files, and nothing moved',
    );
    await assertSettled(p, true);
  });
});
