// The two basic local moves (a placeholder renamed in lazy mode; a 40-file folder of a 41-file pair renamed
// in eager mode) on the mounts other than sshfs: rclone and davfs2. The server's folder is read directly,
// and the renamed files must keep their inode numbers there. One remote per kind; kinds one after another.
//
// LAZYSYNC_MATRIX_KINDS=davfs2 runs only the kinds named that are in MOVE_KINDS.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { isDeepStrictEqual } from 'node:util';
import {
  describeResult,
  killAllCli,
  listVersions,
  nowSec,
  readSpec,
  startRemote,
  waitFor,
  type Pair,
  type Remote,
  type RemoteKind,
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
  withDirs,
} from '../fixture/moves.js';
import { syncRaw } from '../fixture/pair.js';
import { pairOn, serverChanges, syncMode, waitInSync } from '../fixture/remotes/scenario.js';
import { crossingTimeoutMs } from '../fixture/remotes/wait.js';

const MOVE_KINDS: RemoteKind[] = ['rclone-writes', 'davfs2'];
const BASE = nowSec() - 7200;

/** Waits until the server's folder holds exactly `spec` (a rename through the mount may reach it later). */
async function serverIs(remote: Remote, p: Pair, spec: Record<string, unknown>): Promise<void> {
  let last = {};
  try {
    await waitFor(
      async () => isDeepStrictEqual((last = await readSpec(p.server)), spec),
      'the server folder to hold the moved tree',
      crossingTimeoutMs(remote),
      100,
    );
  } catch (e) {
    assert.deepEqual(last, spec, (e as Error).message);
  }
}

function kindsToRun(): RemoteKind[] {
  const only = process.env.LAZYSYNC_MATRIX_KINDS;
  if (only === undefined || only === '') return MOVE_KINDS;
  return MOVE_KINDS.filter((k) => only.split(',').includes(k));
}

for (const kind of kindsToRun()) {
  describe(`moves on ${kind}`, { timeout: 300_000, concurrency: 2 }, () => {
    let remote: Remote | undefined;
    before(async () => {
      remote = await startRemote(kind);
    });
    after(async () => {
      await killAllCli();
      await remote?.stop();
    });

    it('lazy: mv of a placeholder renames the remote file; the placeholder names the new path', async () => {
      assert.ok(remote !== undefined, `the ${kind} remote did not start`);
      const p = await pairOn(remote, 'lazy-file');
      await serverChanges(remote, p, { 'a.txt': 'the content of a\n', 'other.txt': 'other\n' }, BASE);
      await syncMode(p, true);
      const serverIno = await inodes(p.server);

      await mv(p.local, 'a.txt', 'b.txt');
      await syncMode(p, true);
      const expected = { 'b.txt': 'the content of a\n', 'other.txt': 'other\n' };
      await serverIs(remote, p, expected);
      assert.deepEqual(await localView(p), asPlaceholders(expected));
      await assertRenamedInPlace(p.server, serverIno, moveOf('a.txt', 'b.txt'), 'server');
      assert.deepEqual(await listVersions(p.server), [], 'remote versions');
      await assertSettled(p, true);
    });

    it('eager: mv of a 40-file folder of a 41-file pair: no guard, renamed on the remote', async () => {
      assert.ok(remote !== undefined, `the ${kind} remote did not start`);
      const p = await pairOn(remote, 'eager-album');
      const seed = { ...folderOf('album', 40, 8), 'readme.txt': 'readme\n' };
      await serverChanges(remote, p, seed, BASE);
      await syncMode(p, false);
      await waitInSync(remote, p);
      const serverIno = await inodes(p.server);

      await mv(p.local, 'album', 'album-2026');
      const r = await syncRaw(p, ['-L', 'n'], { timeoutMs: 120_000 });
      assert.equal(r.code, 0, `the pass stopped without --confirm-deletes?\n${describeResult(r)}`);
      const expected = withDirs(renamed(seed, 'album', 'album-2026'));
      await serverIs(remote, p, expected);
      assert.deepEqual(await readSpec(p.local), expected);
      await assertRenamedInPlace(p.server, serverIno, moveOf('album', 'album-2026'), 'server');
      assert.deepEqual(await listVersions(p.server), [], 'remote versions');
      assert.deepEqual(await listVersions(p.local), [], 'local versions');
      await assertSettled(p, false);
    });
  });
}
