// docs/design.md's contract table in lazy mode (the default): placeholders are absolute symlinks into R, hydrated on demand.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { lstat, readFile, readlink } from 'node:fs/promises';
import { join } from 'node:path';
import {
  describeResult,
  entryAt,
  exists,
  killAllCli,
  listVersions,
  newPair,
  nowSec,
  readSpec,
  remove,
  runCli,
  setMtime,
  startRemote,
  sync,
  syncEager,
  versionTexts,
  writeFileAt,
  writeTree,
  type Pair,
  type Remote,
} from '../fixture/index.js';

const T = nowSec();
const BASE = T - 7200;
const LATER = T - 300;

/** `rel` is a placeholder: a local symlink to the absolute remote path, and reading it gives `content`. */
async function assertPlaceholder(p: Pair, rel: string, content: string): Promise<void> {
  const local = join(p.local, rel);
  const st = await lstat(local);
  assert.ok(st.isSymbolicLink(), `${rel} should be a placeholder (symlink), is mode ${st.mode.toString(8)}`);
  assert.equal(await readlink(local), join(p.remote, rel), `${rel}: placeholder target`);
  assert.equal(await readFile(local, 'utf8'), content, `${rel}: content through the placeholder`);
}

async function assertLocalCopy(p: Pair, rel: string, content: string): Promise<void> {
  assert.deepEqual(
    await entryAt(p.local, rel),
    { kind: 'file', content: Buffer.from(content) },
    `${rel} should be a local copy`,
  );
}

describe('contract table, lazy mode (default)', { timeout: 300_000 }, () => {
  let remote: Remote;
  before(async () => {
    remote = await startRemote();
  });
  after(async () => {
    await killAllCli();
    await remote.stop();
  });

  it('new remote files become placeholders; dirs and user symlinks are made as such', async () => {
    const p = await newPair(remote, 'new-placeholders');
    await sync(p);
    await writeTree(p.server, {
      'a.txt': 'remote a',
      'dir/b.txt': 'remote b',
      'dir/empty': { dir: true },
      ulink: { symlink: 'dir/b.txt' },
    });
    await sync(p);
    await assertPlaceholder(p, 'a.txt', 'remote a');
    await assertPlaceholder(p, 'dir/b.txt', 'remote b');
    assert.equal((await entryAt(p.local, 'dir'))?.kind, 'dir');
    assert.equal((await entryAt(p.local, 'dir/empty'))?.kind, 'dir');
    // A user symlink keeps its relative text: it is not turned into a placeholder.
    assert.deepEqual(await entryAt(p.local, 'ulink'), { kind: 'symlink', target: 'dir/b.txt' });
    assert.deepEqual(await readSpec(p.server), {
      'a.txt': 'remote a',
      dir: { dir: true },
      'dir/b.txt': 'remote b',
      'dir/empty': { dir: true },
      ulink: { symlink: 'dir/b.txt' },
    });
  });

  it('the first lazy sync of a populated remote makes placeholders too', async () => {
    const p = await newPair(remote, 'first-lazy');
    await writeTree(p.server, { 'x.bin': Buffer.from([0, 1, 2, 255]) });
    await sync(p);
    const local = join(p.local, 'x.bin');
    assert.ok((await lstat(local)).isSymbolicLink());
    assert.deepEqual(await readFile(local), Buffer.from([0, 1, 2, 255]));
  });

  it('remote modified under a placeholder: still a placeholder, nothing copied, new content visible', async () => {
    const p = await newPair(remote, 'modified-placeholder');
    await writeTree(p.server, { 'p.txt': 'first' });
    await setMtime(p.server, 'p.txt', BASE);
    await sync(p);
    await assertPlaceholder(p, 'p.txt', 'first');
    await writeFileAt(p.server, 'p.txt', 'second, longer', LATER);
    await sync(p);
    await assertPlaceholder(p, 'p.txt', 'second, longer');
    assert.deepEqual(await listVersions(p.local), []);
    assert.deepEqual(await listVersions(p.server), []);
  });

  it('remote deleted under a placeholder: the placeholder is removed (no version of a placeholder)', async () => {
    const p = await newPair(remote, 'deleted-placeholder');
    await writeTree(p.server, { 'gone.txt': 'bye', 'stay.txt': 'stay' });
    await sync(p);
    await assertPlaceholder(p, 'gone.txt', 'bye');
    await remove(p.server, 'gone.txt');
    await sync(p);
    assert.equal(await exists(p.local, 'gone.txt'), false);
    await assertPlaceholder(p, 'stay.txt', 'stay');
    assert.deepEqual(await listVersions(p.local), []);
  });

  it('a local file is uploaded and stays a real local file', async () => {
    const p = await newPair(remote, 'local-created');
    await sync(p);
    await writeTree(p.local, { 'mine.txt': 'written locally', 'd/deep.txt': 'deep' });
    await sync(p);
    assert.deepEqual(await readSpec(p.server), {
      'mine.txt': 'written locally',
      d: { dir: true },
      'd/deep.txt': 'deep',
    });
    await assertLocalCopy(p, 'mine.txt', 'written locally');
    await assertLocalCopy(p, 'd/deep.txt', 'deep');
    await sync(p);
    await assertLocalCopy(p, 'mine.txt', 'written locally');
  });

  it('a placeholder deleted locally: the remote file is moved to the remote versions', async () => {
    const p = await newPair(remote, 'local-deleted-placeholder');
    await writeTree(p.server, { 'del.txt': 'remote content', 'keep.txt': 'k' });
    await sync(p);
    await assertPlaceholder(p, 'del.txt', 'remote content');
    await remove(p.local, 'del.txt');
    await sync(p);
    assert.equal(await exists(p.server, 'del.txt'), false);
    assert.deepEqual(await versionTexts(p.server, 'del.txt'), ['remote content']);
    assert.equal(await exists(p.local, 'del.txt'), false);
    await assertPlaceholder(p, 'keep.txt', 'k');
  });

  it('a later eager pass (-L n) hydrates placeholders; a lazy pass keeps the clean copies', async () => {
    const p = await newPair(remote, 'hydrate');
    await writeTree(p.server, { 'h.txt': 'hydrate me', 'sub/h2.txt': 'me too' });
    await sync(p);
    await assertPlaceholder(p, 'h.txt', 'hydrate me');
    const serverBefore = await readSpec(p.server);
    await syncEager(p);
    await assertLocalCopy(p, 'h.txt', 'hydrate me');
    await assertLocalCopy(p, 'sub/h2.txt', 'me too');
    assert.deepEqual(await readSpec(p.server), serverBefore, 'hydrating changes nothing on the remote');
    assert.deepEqual(await listVersions(p.server), []);
    const ino = (await lstat(join(p.local, 'h.txt'))).ino;
    await sync(p); // lazy again, nothing changed: the copy stays
    await assertLocalCopy(p, 'h.txt', 'hydrate me');
    assert.equal((await lstat(join(p.local, 'h.txt'))).ino, ino, 'the clean copy was not replaced');
  });

  it('remote modified over a clean local copy in lazy mode: back to a placeholder, the old copy kept as a version', async () => {
    const p = await newPair(remote, 'dehydrate-on-change');
    await writeTree(p.server, { 'c.txt': 'copy v1' });
    await setMtime(p.server, 'c.txt', BASE);
    await syncEager(p);
    await assertLocalCopy(p, 'c.txt', 'copy v1');
    await writeFileAt(p.server, 'c.txt', 'copy version 2', LATER);
    await sync(p);
    await assertPlaceholder(p, 'c.txt', 'copy version 2');
    assert.deepEqual(await versionTexts(p.local, 'c.txt'), ['copy v1']);
  });

  it('a placeholder points at the absolute remote path even when R is given relative', async () => {
    const p = await newPair(remote, 'relative-r');
    await writeTree(p.server, { 'r.txt': 'relative' });
    const r = await runCli(['sync', '-r', 'mnt/relative-r', '-l', p.local], { cwd: remote.base });
    assert.equal(r.code, 0, describeResult(r));
    assert.equal(await readlink(join(p.local, 'r.txt')), join(p.remote, 'r.txt'));
  });
});
