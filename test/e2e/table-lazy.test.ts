// docs/design.md's contract table in lazy mode (the default), with each kind of placeholder: absolute symlinks into
// R, and file placeholders (--placeholders file, the local folder on an ext4 image) whose shape stands for the file.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { lstat, readFile, readlink } from 'node:fs/promises';
import { join } from 'node:path';
import { assertFilePlaceholder, startFileWorld, type FileWorld } from '../fixture/file-placeholders.js';
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
  sync as syncOnce,
  syncRaw,
  versionTexts,
  writeFileAt,
  writeTree,
  type Pair,
  type Remote,
} from '../fixture/index.js';

const T = nowSec();
const BASE = T - 7200;
const LATER = T - 300;

/** `rel` is a link placeholder: a local symlink to the absolute remote path, and reading it gives `content`. */
async function assertLinkPlaceholder(p: Pair, rel: string, content: string): Promise<void> {
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

/** What differs between the kinds of placeholder: where the local folder is, the passes, the check. */
interface Kind {
  newPair(name: string): Promise<Pair>;
  sync(p: Pair, ...extra: string[]): Promise<unknown>;
  /** `rel` is a placeholder of the remote file that holds `content`. */
  assertPlaceholder(p: Pair, rel: string, content: string): Promise<void>;
}

for (const kindName of ['link', 'file'] as const) {
  describe(`contract table, lazy mode (default), ${kindName} placeholders`, { timeout: 300_000 }, () => {
    let remote: Remote;
    let world: FileWorld | undefined;
    let kind: Kind;
    before(async () => {
      remote = await startRemote();
      if (kindName === 'link') {
        kind = {
          newPair: (name) => newPair(remote, name),
          sync: syncOnce,
          assertPlaceholder: assertLinkPlaceholder,
        };
        return;
      }
      const w = await startFileWorld(remote, 'ext4');
      world = w;
      kind = {
        newPair: (name) => w.pair(name),
        sync: async (p, ...extra) => {
          const r = await syncRaw(p, ['--placeholders', 'file', ...extra], { env: w.env });
          assert.equal(r.code, 0, `sync ${extra.join(' ')} failed\n${describeResult(r)}`);
        },
        // Its content is the remote's (read through it in file-placeholders.test.ts); here its shape.
        assertPlaceholder: async (p, rel, content) => {
          assert.equal(await readFile(join(p.server, rel), 'utf8'), content, `${rel}: remote content`);
          await assertFilePlaceholder(p, rel);
        },
      };
    });
    after(async () => {
      await killAllCli();
      await world?.stop();
      await remote.stop();
    });
    const sync = (p: Pair, ...extra: string[]): Promise<unknown> => kind.sync(p, ...extra);
    const syncEager = (p: Pair): Promise<unknown> => kind.sync(p, '-L', 'n');
    const assertPlaceholder = (p: Pair, rel: string, content: string): Promise<void> =>
      kind.assertPlaceholder(p, rel, content);

    it('new remote files become placeholders; dirs and user symlinks are made as such', async () => {
      const p = await kind.newPair('new-placeholders');
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
      const p = await kind.newPair('first-lazy');
      await writeTree(p.server, { 'x.bin': Buffer.from([0, 1, 2, 255]) });
      await sync(p);
      await assertPlaceholder(p, 'x.bin', Buffer.from([0, 1, 2, 255]).toString());
    });

    it('remote modified under a placeholder: still a placeholder, nothing copied, new content visible', async () => {
      const p = await kind.newPair('modified-placeholder');
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
      const p = await kind.newPair('deleted-placeholder');
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
      const p = await kind.newPair('local-created');
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
      const p = await kind.newPair('local-deleted-placeholder');
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
      const p = await kind.newPair('hydrate');
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
      const p = await kind.newPair('dehydrate-on-change');
      await writeTree(p.server, { 'c.txt': 'copy v1' });
      await setMtime(p.server, 'c.txt', BASE);
      await syncEager(p);
      await assertLocalCopy(p, 'c.txt', 'copy v1');
      await writeFileAt(p.server, 'c.txt', 'copy version 2', LATER);
      await sync(p);
      await assertPlaceholder(p, 'c.txt', 'copy version 2');
      assert.deepEqual(await versionTexts(p.local, 'c.txt'), ['copy v1']);
    });

    it(
      'a placeholder points at the absolute remote path even when R is given relative',
      { skip: kindName === 'file' && 'a link placeholder only: a file placeholder names its path, not R' },
      async () => {
        const p = await kind.newPair('relative-r');
        await writeTree(p.server, { 'r.txt': 'relative' });
        const r = await runCli(['sync', '-r', 'mnt/relative-r', '-l', p.local], { cwd: remote.base });
        assert.equal(r.code, 0, describeResult(r));
        assert.equal(await readlink(join(p.local, 'r.txt')), join(p.remote, 'r.txt'));
      },
    );
  });
}
