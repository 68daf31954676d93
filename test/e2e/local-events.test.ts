// Local changes reach the remote through kernel events, without waiting for the interval and without a
// whole pass: `lazysync run --interval 3600` syncs just the paths that changed, and never uploads a file
// that is still being written.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { closeSync, openSync, writeSync } from 'node:fs';
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  entryAt,
  exists,
  killAllCli,
  newPair,
  startRemote,
  waitFor,
  writeTree,
  type Pair,
  versionTexts,
  type Remote,
} from '../fixture/index.js';
import { assertRunning, isRegular, logLines, startRun, stopRun } from '../fixture/run.js';

describe('local changes through kernel events', { timeout: 180_000 }, () => {
  let remote: Remote;
  before(async () => {
    remote = await startRemote();
  });
  after(async () => {
    await killAllCli();
    await remote.stop();
  });

  /** The file at `rel` on the server holds `content`. */
  async function serverHas(p: Pair, rel: string, content: string): Promise<boolean> {
    const e = await entryAt(p.server, rel);
    return e?.kind === 'file' && e.content.toString() === content;
  }

  it('edits, creates, deletes, renames and new folders reach the remote at once, by passes over just those paths', async () => {
    const p: Pair = await newPair(remote, 'events');
    await writeTree(p.server, { 'a/x.txt': 'x1', 'b/y.txt': 'y1', 'keep.txt': 'k' });
    const log = join(remote.base, 'events.log');
    const run = startRun(p, log, ['--interval', '3600', '--lazy', 'n']);
    try {
      await waitFor(async () => {
        assertRunning(run);
        return (await isRegular(p, 'a/x.txt')) && (await isRegular(p, 'keep.txt'));
      }, 'the first pass downloads everything');

      // Another machine adds a file: only a whole pass (in an hour) looks there.
      await writeTree(p.server, { 'elsewhere.txt': 'not scanned by a pass for local changes' });

      await writeFile(join(p.local, 'a/x.txt'), 'x2');
      await writeFile(join(p.local, 'new.txt'), 'new');
      await mkdir(join(p.local, 'n/m'), { recursive: true });
      await writeFile(join(p.local, 'n/m/f.txt'), 'deep');
      await rm(join(p.local, 'b/y.txt'));
      await rename(join(p.local, 'keep.txt'), join(p.local, 'kept.txt'));

      await waitFor(async () => {
        assertRunning(run);
        return (
          (await serverHas(p, 'a/x.txt', 'x2')) &&
          (await serverHas(p, 'new.txt', 'new')) &&
          (await serverHas(p, 'n/m/f.txt', 'deep')) &&
          (await serverHas(p, 'kept.txt', 'k')) &&
          !(await exists(p.server, 'b/y.txt')) &&
          !(await exists(p.server, 'keep.txt'))
        );
      }, 'every local change on the server');

      assert.deepEqual(await versionTexts(p.server, 'a/x.txt'), ['x1'], 'versions of a/x.txt on the remote');
      assert.deepEqual(await versionTexts(p.server, 'b/y.txt'), ['y1'], 'versions of b/y.txt on the remote');
      assert.equal(
        await exists(p.local, 'elsewhere.txt'),
        false,
        'a pass for local changes scanned everything',
      );
      const passes = logLines(log).filter((l) => typeof l.changedPaths === 'number');
      assert.ok(passes.length > 0, 'no pass over changed paths was logged');
    } finally {
      await stopRun(run).finally(() => run.kill('SIGKILL'));
    }
  });

  it('a file still being written is uploaded only once its writer closes it, whole', async () => {
    const p: Pair = await newPair(remote, 'events-writing');
    await writeTree(p.server, { 'other.txt': 'o1' });
    const run = startRun(p, join(remote.base, 'events-writing.log'), ['--interval', '3600', '--lazy', 'n']);
    try {
      await waitFor(async () => {
        assertRunning(run);
        return isRegular(p, 'other.txt');
      }, 'the first pass');

      const fd = openSync(join(p.local, 'growing.txt'), 'w');
      try {
        writeSync(fd, 'first half');
        // Another change right after: once it has reached the remote, the events up to here were handled.
        await writeFile(join(p.local, 'other.txt'), 'o2');
        await waitFor(() => serverHas(p, 'other.txt', 'o2'), 'the other change on the server');
        assert.equal(await exists(p.server, 'growing.txt'), false, 'a file still being written was uploaded');
        writeSync(fd, ', second half');
      } finally {
        closeSync(fd);
      }
      await waitFor(async () => {
        assertRunning(run);
        return serverHas(p, 'growing.txt', 'first half, second half');
      }, 'the closed file on the server, whole');
    } finally {
      await stopRun(run).finally(() => run.kill('SIGKILL'));
    }
  });
});
