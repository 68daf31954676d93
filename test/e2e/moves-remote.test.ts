// Moves made on the remote (in the server's folder, as another machine would), moves on one side meeting
// edits or other moves on the other, and moves into an ignored folder or out of the pair, through the
// real CLI on sshfs. Each pass waits until the mount shows the server's changes (Pair.caughtUp).
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import {
  killAllCli,
  listVersions,
  newPair,
  nowSec,
  readSpec,
  startRemote,
  syncRaw,
  describeResult,
  versionTexts,
  writeFileAt,
  type Pair,
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
  seedServer,
  withDirs,
} from '../fixture/moves.js';

const T = nowSec();
const BASE = T - 7200; // mtime of the synced ancestor
const LATER = T - 300; // an edit

const modes = [
  ['eager', false],
  ['lazy', true],
] as const;

/** `sync -L y|n ...extra`, which must exit 0. */
async function pass(p: Pair, lazy: boolean, ...extra: string[]): Promise<string> {
  const r = await syncRaw(p, ['-L', lazy ? 'y' : 'n', ...extra]);
  assert.equal(r.code, 0, describeResult(r));
  return r.stdout;
}

/** What the local side holds when it is in sync with a server holding `spec`. */
async function assertLocalMatches(p: Pair, lazy: boolean, spec: Record<string, string>): Promise<void> {
  const expected = withDirs(spec);
  if (lazy) assert.deepEqual(await localView(p), asPlaceholders(expected), 'local (placeholders)');
  else assert.deepEqual(await readSpec(p.local), expected, 'local');
}

describe(
  'moves made on the remote, and moves meeting changes on the other side',
  { timeout: 300_000, concurrency: 3 },
  () => {
    let remote: Remote;
    before(async () => {
      remote = await startRemote();
    });
    after(async () => {
      await killAllCli();
      await remote.stop();
    });

    for (const [mode, lazy] of modes) {
      it(`${mode}: a file and a folder of 10 renamed on the remote are renamed locally, nothing downloaded`, async () => {
        const p = await newPair(remote, `remote-rename-${mode}`);
        const seed = { 'a.txt': 'a\n', ...folderOf('docs', 10, 3), 'keep.txt': 'keep\n' };
        await seedServer(p, seed, BASE);
        await pass(p, lazy);
        const localIno = await inodes(p.local);

        await mv(p.server, 'a.txt', 'b.txt');
        await mv(p.server, 'docs', 'papers');
        const out = await pass(p, lazy);
        const moved = (rel: string): string => moveOf('docs', 'papers')(moveOf('a.txt', 'b.txt')(rel));
        const expected = Object.fromEntries(Object.entries(seed).map(([rel, c]) => [moved(rel), c]));
        assert.deepEqual(await readSpec(p.server), withDirs(expected), 'server');
        await assertLocalMatches(p, lazy, expected);
        if (!lazy) await assertRenamedInPlace(p.local, localIno, moved, 'local');
        assert.match(out, /synced: 0 downloaded,/, 'a renamed file is not downloaded again');
        assert.deepEqual(await listVersions(p.local), [], 'local versions');
        assert.deepEqual(await listVersions(p.server), [], 'remote versions');
        await assertSettled(p, lazy);
      });
    }

    for (const [mode, lazy] of modes) {
      it(`${mode}: moved locally while edited on the remote: the new name with the remote's edit on both sides`, async () => {
        const p = await newPair(remote, `mv-local-edit-remote-${mode}`);
        await seedServer(p, { 'a.txt': 'a v1\n', 'keep.txt': 'keep\n' }, BASE);
        await pass(p, lazy);

        await mv(p.local, 'a.txt', 'b.txt');
        await writeFileAt(p.server, 'a.txt', 'a v2, edited on the remote\n', LATER);
        await pass(p, lazy);
        const expected = { 'b.txt': 'a v2, edited on the remote\n', 'keep.txt': 'keep\n' };
        assert.deepEqual(await readSpec(p.server), expected, 'server');
        await assertLocalMatches(p, lazy, expected);
        await assertSettled(p, lazy);
      });
    }

    it('eager: renamed on the remote while edited locally: the new name with the local edit on both sides', async () => {
      const p = await newPair(remote, 'mv-remote-edit-local');
      await seedServer(p, { 'a.txt': 'a v1\n', 'keep.txt': 'keep\n' }, BASE);
      await pass(p, false);

      await mv(p.server, 'a.txt', 'b.txt');
      await writeFileAt(p.local, 'a.txt', 'a v2, edited locally\n', LATER);
      await pass(p, false);
      const expected = { 'b.txt': 'a v2, edited locally\n', 'keep.txt': 'keep\n' };
      assert.deepEqual(await readSpec(p.server), expected, 'server');
      assert.deepEqual(await readSpec(p.local), expected, 'local');
      await assertSettled(p, false);
    });

    for (const [mode, lazy] of modes) {
      it(`${mode}: moved to one name locally and to another on the remote: both names on both sides`, async () => {
        const p = await newPair(remote, `two-names-${mode}`);
        await seedServer(p, { 'a.txt': 'the content\n', 'keep.txt': 'keep\n' }, BASE);
        await pass(p, lazy);

        await mv(p.local, 'a.txt', 'b.txt');
        await mv(p.server, 'a.txt', 'c.txt');
        await pass(p, lazy);
        const expected = { 'b.txt': 'the content\n', 'c.txt': 'the content\n', 'keep.txt': 'keep\n' };
        assert.deepEqual(await readSpec(p.server), expected, 'server');
        await assertLocalMatches(p, lazy, expected);
        await assertSettled(p, lazy);
      });
    }

    for (const [mode, lazy] of modes) {
      it(`${mode}: moved into an ignored folder or out of the pair: a deletion on the other side, versioned`, async () => {
        const p = await newPair(remote, `ignored-${mode}`);
        const ignore = ['--ignore', 'private/'];
        await seedServer(p, { 'a.txt': 'a\n', 'b.txt': 'b\n', 'c.txt': 'c\n', 'keep.txt': 'keep\n' }, BASE);
        await pass(p, lazy, ...ignore);

        await mkdir(join(p.local, 'private'));
        await mv(p.local, 'a.txt', 'private/a.txt');
        await mv(p.local, 'b.txt', `../outside-${mode}-b.txt`);
        await mkdir(join(p.server, 'private'));
        await mv(p.server, 'c.txt', 'private/c.txt');
        await pass(p, lazy, ...ignore);

        assert.deepEqual(
          await readSpec(p.server),
          { 'keep.txt': 'keep\n', private: { dir: true }, 'private/c.txt': 'c\n' },
          'server: a and b deleted, the ignored folder left as it is',
        );
        assert.deepEqual(await versionTexts(p.server, 'a.txt'), ['a\n'], 'remote versions of a.txt');
        assert.deepEqual(await versionTexts(p.server, 'b.txt'), ['b\n'], 'remote versions of b.txt');
        const local = await (lazy ? localView(p) : readSpec(p.local));
        assert.deepEqual(Object.keys(local).sort(), ['keep.txt', 'private', 'private/a.txt'], 'local paths');
        // A clean local copy deleted by the remote is kept as a local version; a placeholder holds nothing.
        assert.deepEqual(
          await versionTexts(p.local, 'c.txt'),
          lazy ? [] : ['c\n'],
          'local versions of c.txt',
        );
        await assertSettled(p, lazy, ignore);
      });
    }
  },
);
