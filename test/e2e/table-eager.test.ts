// The contract table of docs/design.md, row by row, in eager mode (-L n), through the real CLI against a real sshfs remote.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  DEFAULT_SSHFS_OPTIONS,
  conflictCopies,
  entryAt,
  exists,
  killAllCli,
  newPair,
  nowSec,
  readSpec,
  remove,
  setMtime,
  startRemote,
  syncEager,
  versionTexts,
  writeFileAt,
  writeTree,
  type Pair,
  type Remote,
  type CliResult,
} from '../fixture/index.js';

const T = nowSec();
const BASE = T - 7200; // mtime of the synced ancestor
const EARLIER = T - 600; // an edit
const LATER = T - 300; // a newer edit

/** After an eager pass both sides hold the same tree (outside .lazysync). */
async function assertInSync(p: Pair): Promise<void> {
  assert.deepEqual(await readSpec(p.local), await readSpec(p.server), 'local and remote trees differ');
}

/** The output has a line naming a conflict on `path`. */
function assertReportsConflict(r: CliResult, path: string): void {
  const lines = `${r.stdout}\n${r.stderr}`.split('\n');
  assert.ok(
    lines.some((l) => /conflict/i.test(l) && l.includes(path)),
    `no line mentions a conflict on ${path}:\n${r.stdout}\n${r.stderr}`,
  );
}

/** Writes `spec` on the server with the ancestor's mtime, and syncs it down. */
async function seedFromRemote(p: Pair, spec: Record<string, string>): Promise<void> {
  await writeTree(p.server, spec);
  for (const rel of Object.keys(spec)) await setMtime(p.server, rel, BASE);
  await syncEager(p);
  await assertInSync(p);
}

describe('contract table, eager mode (-L n)', { timeout: 300_000 }, () => {
  let remote: Remote;
  before(async () => {
    remote = await startRemote();
  });
  after(async () => {
    await killAllCli();
    await remote.stop();
  });

  it('remote created file, dir and symlink: downloaded, mkdir, the same link text', async () => {
    const p = await newPair(remote, 'remote-created');
    await syncEager(p); // establishes the archive of an empty pair; the creations below come after it
    await writeTree(p.server, {
      'f.txt': 'remote file',
      'dir/sub/deep.txt': 'deep',
      empty: { dir: true },
      link: { symlink: 'f.txt' },
      'dir/dangling': { symlink: 'sub/missing' },
    });
    await syncEager(p);
    const expected = {
      'f.txt': 'remote file',
      dir: { dir: true },
      'dir/sub': { dir: true },
      'dir/sub/deep.txt': 'deep',
      'dir/dangling': { symlink: 'sub/missing' },
      empty: { dir: true },
      link: { symlink: 'f.txt' },
    };
    assert.deepEqual(await readSpec(p.local), expected);
    assert.deepEqual(await readSpec(p.server), expected);
  });

  it('remote modified, clean local copy: downloaded again, the old local content kept as a local version', async () => {
    const p = await newPair(remote, 'remote-modified');
    await seedFromRemote(p, { 'm.txt': 'v1', 'other.txt': 'untouched' });
    await writeFileAt(p.server, 'm.txt', 'version two', LATER);
    await syncEager(p);
    assert.deepEqual(await entryAt(p.local, 'm.txt'), { kind: 'file', content: Buffer.from('version two') });
    assert.deepEqual(await versionTexts(p.local, 'm.txt'), ['v1']);
    await assertInSync(p);
  });

  it('remote deleted, clean local copy: the local copy is moved to the local versions', async () => {
    const p = await newPair(remote, 'remote-deleted');
    await seedFromRemote(p, { 'gone.txt': 'gone content', 'dir/gone2.txt': 'in a dir' });
    await remove(p.server, 'gone.txt');
    await remove(p.server, 'dir/gone2.txt');
    await syncEager(p);
    assert.equal(await exists(p.local, 'gone.txt'), false);
    assert.equal(await exists(p.local, 'dir/gone2.txt'), false);
    assert.deepEqual(await versionTexts(p.local, 'gone.txt'), ['gone content']);
    assert.deepEqual(await versionTexts(p.local, 'dir/gone2.txt'), ['in a dir']);
    await assertInSync(p);
  });

  it('local created file, dir and symlink: uploaded, mkdir and the same link text on the remote', async () => {
    const p = await newPair(remote, 'local-created');
    await syncEager(p);
    await writeTree(p.local, {
      'new.txt': 'made locally',
      'ldir/sub/x.txt': 'nested',
      lempty: { dir: true },
      llink: { symlink: 'new.txt' },
      'ldir/dangling': { symlink: 'no/such/file' },
    });
    await syncEager(p);
    assert.deepEqual(await readSpec(p.server), {
      'new.txt': 'made locally',
      ldir: { dir: true },
      'ldir/sub': { dir: true },
      'ldir/sub/x.txt': 'nested',
      'ldir/dangling': { symlink: 'no/such/file' },
      lempty: { dir: true },
      llink: { symlink: 'new.txt' },
    });
    await assertInSync(p);
    // An uploaded file stays a real local file.
    assert.equal((await entryAt(p.local, 'new.txt'))?.kind, 'file');
  });

  it('local modified: uploaded, the overwritten remote content kept as a remote version', async () => {
    const p = await newPair(remote, 'local-modified');
    await seedFromRemote(p, { 'doc.txt': 'v1 original', 'sub/doc2.md': 'second original' });
    await writeFileAt(p.local, 'doc.txt', 'v2 edited locally', LATER);
    await writeFileAt(p.local, 'sub/doc2.md', 'second, edited', LATER);
    await syncEager(p);
    assert.deepEqual(await entryAt(p.server, 'doc.txt'), {
      kind: 'file',
      content: Buffer.from('v2 edited locally'),
    });
    assert.deepEqual(await versionTexts(p.server, 'doc.txt'), ['v1 original']);
    assert.deepEqual(await versionTexts(p.server, 'sub/doc2.md'), ['second original']);
    await assertInSync(p);
  });

  it('local deleted: the remote file is moved to the remote versions', async () => {
    const p = await newPair(remote, 'local-deleted');
    await seedFromRemote(p, { 'del.txt': 'delete me', 'keep.txt': 'keep me' });
    await remove(p.local, 'del.txt');
    await syncEager(p);
    assert.equal(await exists(p.server, 'del.txt'), false);
    assert.deepEqual(await versionTexts(p.server, 'del.txt'), ['delete me']);
    assert.deepEqual(await readSpec(p.server), { 'keep.txt': 'keep me' });
    await assertInSync(p);
  });

  it('both modified, remote newer: the remote keeps the name, the local content is a conflict copy on both sides', async () => {
    const p = await newPair(remote, 'conflict-remote-newer');
    await seedFromRemote(p, { 'c.txt': 'base' });
    await writeFileAt(p.local, 'c.txt', 'local edit', EARLIER);
    await writeFileAt(p.server, 'c.txt', 'remote edit!!', LATER);
    const r = await syncEager(p);
    assertReportsConflict(r, 'c.txt');
    for (const side of [p.local, p.server]) {
      assert.deepEqual(
        await entryAt(side, 'c.txt'),
        { kind: 'file', content: Buffer.from('remote edit!!') },
        side,
      );
      assert.deepEqual([...(await conflictCopies(side, 'c.txt')).values()], ['local edit'], side);
    }
    assert.deepEqual(
      [...(await conflictCopies(p.local, 'c.txt')).keys()],
      [...(await conflictCopies(p.server, 'c.txt')).keys()],
    );
    await assertInSync(p);
    // Settled: the next pass adds no further copies.
    await syncEager(p);
    assert.equal((await conflictCopies(p.local, 'c.txt')).size, 1);
    await assertInSync(p);
  });

  it('both modified, local newer: the local keeps the name, the remote content is a conflict copy on both sides', async () => {
    const p = await newPair(remote, 'conflict-local-newer');
    await seedFromRemote(p, { 'sub/c.md': 'base' });
    await writeFileAt(p.server, 'sub/c.md', 'remote edit', EARLIER);
    await writeFileAt(p.local, 'sub/c.md', 'local edit!!!', LATER);
    const r = await syncEager(p);
    assertReportsConflict(r, 'c.md');
    for (const side of [p.local, p.server]) {
      assert.deepEqual(
        await entryAt(side, 'sub/c.md'),
        { kind: 'file', content: Buffer.from('local edit!!!') },
        side,
      );
      assert.deepEqual([...(await conflictCopies(side, 'sub/c.md')).values()], ['remote edit'], side);
    }
    await assertInSync(p);
  });

  it('deleted remotely, modified locally: the modification is restored on the remote, nothing deleted', async () => {
    const p = await newPair(remote, 'rdel-lmod');
    await seedFromRemote(p, { 'd.txt': 'base' });
    await remove(p.server, 'd.txt');
    await writeFileAt(p.local, 'd.txt', 'local edit survives', LATER);
    await syncEager(p);
    for (const side of [p.local, p.server]) {
      assert.deepEqual(
        await entryAt(side, 'd.txt'),
        { kind: 'file', content: Buffer.from('local edit survives') },
        side,
      );
      assert.equal((await conflictCopies(side, 'd.txt')).size, 0, side);
    }
    await assertInSync(p);
  });

  it('deleted locally, modified remotely: the modification is restored locally, nothing deleted', async () => {
    const p = await newPair(remote, 'ldel-rmod');
    await seedFromRemote(p, { 'm.txt': 'base' });
    await remove(p.local, 'm.txt');
    await writeFileAt(p.server, 'm.txt', 'remote edit survives', LATER);
    await syncEager(p);
    for (const side of [p.local, p.server]) {
      assert.deepEqual(
        await entryAt(side, 'm.txt'),
        { kind: 'file', content: Buffer.from('remote edit survives') },
        side,
      );
    }
    assert.deepEqual(
      await versionTexts(p.server, 'm.txt'),
      [],
      'the surviving remote edit was not moved away',
    );
    await assertInSync(p);
  });

  it('deleted on both sides: nothing left, no error, and it stays gone', async () => {
    const p = await newPair(remote, 'both-deleted');
    await seedFromRemote(p, { 'x.txt': 'doomed', 'keep.txt': 'k' });
    await remove(p.server, 'x.txt');
    await remove(p.local, 'x.txt');
    await syncEager(p);
    assert.equal(await exists(p.local, 'x.txt'), false);
    assert.equal(await exists(p.server, 'x.txt'), false);
    await syncEager(p);
    assert.deepEqual(await readSpec(p.local), { 'keep.txt': 'k' });
    await assertInSync(p);
  });

  it('both changed to the same content: nothing copied, no versions, no conflict', async () => {
    const p = await newPair(remote, 'same-change');
    await seedFromRemote(p, { 's.txt': 'base' });
    await writeFileAt(p.server, 's.txt', 'the same new content', EARLIER);
    await writeFileAt(p.local, 's.txt', 'the same new content', LATER);
    await syncEager(p);
    for (const side of [p.local, p.server]) {
      assert.deepEqual(
        await entryAt(side, 's.txt'),
        { kind: 'file', content: Buffer.from('the same new content') },
        side,
      );
      assert.deepEqual(await versionTexts(side, 's.txt'), [], `versions on ${side}`);
      assert.equal((await conflictCopies(side, 's.txt')).size, 0, side);
    }
  });

  it('first sync: the union of both sides; the same path with different content is a conflict; nothing deleted', async () => {
    const p = await newPair(remote, 'first-sync');
    await writeTree(p.server, {
      'only-r.txt': 'from the remote',
      'same.txt': 'identical',
      'diff.txt': 'remote side',
      'rdir/r.txt': 'r',
    });
    await writeTree(p.local, {
      'only-l.txt': 'from local',
      'same.txt': 'identical',
      'diff.txt': 'local side!',
      'ldir/l.txt': 'l',
    });
    await setMtime(p.server, 'diff.txt', EARLIER);
    await setMtime(p.local, 'diff.txt', LATER);
    const r = await syncEager(p);
    assertReportsConflict(r, 'diff.txt');
    for (const side of [p.local, p.server]) {
      const spec = await readSpec(side);
      assert.equal(spec['only-r.txt'], 'from the remote', side);
      assert.equal(spec['only-l.txt'], 'from local', side);
      assert.equal(spec['rdir/r.txt'], 'r', side);
      assert.equal(spec['ldir/l.txt'], 'l', side);
      assert.equal(spec['same.txt'], 'identical', side);
      assert.equal(spec['diff.txt'], 'local side!', side);
      assert.deepEqual([...(await conflictCopies(side, 'diff.txt')).values()], ['remote side'], side);
      assert.equal(
        (await conflictCopies(side, 'same.txt')).size,
        0,
        `identical content is no conflict (${side})`,
      );
    }
    await assertInSync(p);
  });

  it('remote dir deleted while a file inside was modified locally: the file survives on both sides', async () => {
    const p = await newPair(remote, 'rdir-del-lmod');
    await seedFromRemote(p, { 'dd/keep.txt': 'keep', 'dd/other.txt': 'other' });
    await remove(p.server, 'dd');
    await writeFileAt(p.local, 'dd/keep.txt', 'keep, edited locally', LATER);
    await syncEager(p);
    for (const side of [p.local, p.server]) {
      assert.deepEqual(
        await entryAt(side, 'dd/keep.txt'),
        { kind: 'file', content: Buffer.from('keep, edited locally') },
        side,
      );
    }
    // The unmodified sibling may follow the deletion, but only into the local versions.
    const other = await entryAt(p.local, 'dd/other.txt');
    if (other === undefined) assert.deepEqual(await versionTexts(p.local, 'dd/other.txt'), ['other']);
    else assert.deepEqual(other, { kind: 'file', content: Buffer.from('other') });
    await syncEager(p);
    await assertInSync(p);
  });

  it('local dir deleted while a file inside was modified remotely: the file survives on both sides', async () => {
    const p = await newPair(remote, 'ldir-del-rmod');
    await seedFromRemote(p, { 'dd/keep.txt': 'keep', 'dd/other.txt': 'other' });
    await remove(p.local, 'dd');
    await writeFileAt(p.server, 'dd/keep.txt', 'keep, edited remotely', LATER);
    await syncEager(p);
    for (const side of [p.local, p.server]) {
      assert.deepEqual(
        await entryAt(side, 'dd/keep.txt'),
        { kind: 'file', content: Buffer.from('keep, edited remotely') },
        side,
      );
    }
    const other = await entryAt(p.server, 'dd/other.txt');
    if (other === undefined) assert.deepEqual(await versionTexts(p.server, 'dd/other.txt'), ['other']);
    else assert.deepEqual(other, { kind: 'file', content: Buffer.from('other') });
    await syncEager(p);
    await assertInSync(p);
  });

  it('type change on the remote, file to dir: the dir comes down, the old local file is kept as a version', async () => {
    const p = await newPair(remote, 'type-file-to-dir');
    await seedFromRemote(p, { tc: 'was a file' });
    await remove(p.server, 'tc');
    await writeTree(p.server, { 'tc/inner.txt': 'inner' });
    await syncEager(p);
    assert.deepEqual(await readSpec(p.local), { tc: { dir: true }, 'tc/inner.txt': 'inner' });
    assert.deepEqual(await versionTexts(p.local, 'tc'), ['was a file']);
    await assertInSync(p);
  });

  it('type change locally, dir to file: the file goes up, the old remote dir content is kept as versions', async () => {
    const p = await newPair(remote, 'type-dir-to-file');
    await syncEager(p);
    await writeTree(p.local, { 'td/a.txt': 'in a dir' });
    await syncEager(p);
    assert.deepEqual(await readSpec(p.server), { td: { dir: true }, 'td/a.txt': 'in a dir' });
    await remove(p.local, 'td');
    await writeFileAt(p.local, 'td', 'now a file');
    await syncEager(p);
    assert.deepEqual(await readSpec(p.server), { td: 'now a file' });
    assert.deepEqual(await versionTexts(p.server, 'td/a.txt'), ['in a dir']);
    await assertInSync(p);
  });

  it('a symlink retargeted on one side is retargeted on the other, link text verbatim', async () => {
    const p = await newPair(remote, 'symlink-retarget');
    await writeTree(p.server, { 'a.txt': 'a', 'b.txt': 'b', ln: { symlink: 'a.txt' } });
    await syncEager(p);
    assert.deepEqual(await entryAt(p.local, 'ln'), { kind: 'symlink', target: 'a.txt' });
    await remove(p.server, 'ln');
    await writeTree(p.server, { ln: { symlink: 'b.txt' } }); // same length: only the link text changed
    await syncEager(p);
    assert.deepEqual(await entryAt(p.local, 'ln'), { kind: 'symlink', target: 'b.txt' });
    await remove(p.local, 'ln');
    await writeTree(p.local, { ln: { symlink: 'sub/a.txt' } });
    await syncEager(p);
    assert.deepEqual(await entryAt(p.server, 'ln'), { kind: 'symlink', target: 'sub/a.txt' });
    await assertInSync(p);
  });
});

describe(
  'symlinks that leave the root, eager mode (sshfs with no_contain_symlinks)',
  { timeout: 120_000 },
  () => {
    // sshfs's default contain_symlinks refuses to read absolute and ".." links through the mount (EPERM);
    // with it off, such links are ordinary data and must be copied verbatim and never followed.
    let remote: Remote;
    before(async () => {
      remote = await startRemote({ sshfsOptions: [...DEFAULT_SSHFS_OPTIONS, 'no_contain_symlinks'] });
    });
    after(async () => {
      await killAllCli();
      await remote.stop();
    });

    it('".." and absolute link texts are copied verbatim both ways', async () => {
      const p = await newPair(remote, 'outside-links');
      await writeTree(p.server, {
        up: { symlink: '../outside/x' },
        abs: { symlink: '/nonexistent/abs-target' },
      });
      await writeTree(p.local, { 'd/lup': { symlink: '../../y' } });
      await syncEager(p);
      const expected = {
        up: { symlink: '../outside/x' },
        abs: { symlink: '/nonexistent/abs-target' },
        d: { dir: true },
        'd/lup': { symlink: '../../y' },
      };
      assert.deepEqual(await readSpec(p.local), expected);
      assert.deepEqual(await readSpec(p.server), expected);
    });
  },
);
