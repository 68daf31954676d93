// rclone answers even an open from its listing cache, so before a pass overwrites anything there it waits
// until that cache has run out since its plan was made (docs/design.md, "A stale view never destroys").
// The conflict this protects is the remote matrix's "conflict seen through a stale view" row; here: the
// wait gives way to a stop, and a cache too long to wait out is said, not waited for.
import { describe, it, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  describeResult,
  findNamed,
  killAllCli,
  spawnCli,
  syncRaw,
  waitFor,
  type Pair,
  type Remote,
} from '../fixture/index.js';
import { startRcloneRemote } from '../fixture/remotes/rclone.js';

/**
 * A pair whose remote folder and file were made through the mount, so that rclone shows them at once
 * whatever its cache time, synced down eagerly (downloads only: nothing on the remote to wait for).
 */
async function syncedThroughMount(remote: Remote, name: string): Promise<{ p: Pair; first: string }> {
  const p: Pair = {
    server: join(remote.serverDir, name),
    remote: join(remote.mountDir, name),
    local: join(remote.base, `local-${name}`),
  };
  await mkdir(p.remote);
  await writeFile(join(p.remote, 'a.txt'), 'base');
  const r = await syncRaw(p, ['-L', 'n']);
  assert.equal(r.code, 0, describeResult(r));
  assert.equal(await readFile(join(p.local, 'a.txt'), 'utf8'), 'base');
  return { p, first: `${r.stdout}\n${r.stderr}` };
}

describe("a pass waits out rclone's cache before it overwrites on the remote", () => {
  const remotes: Remote[] = [];
  after(async () => {
    await killAllCli();
    for (const r of remotes) await r.stop();
  });

  it('a stop during the wait ends `run` at once and leaves the upload for the next pass', async () => {
    const remote = await startRcloneRemote('off', { dirCacheS: 40 });
    remotes.push(remote);
    const { p } = await syncedThroughMount(remote, 'stop');
    await writeFile(join(p.local, 'a.txt'), 'the local edit');
    const run = spawnCli(['run', '-r', p.remote, '-l', p.local, '-L', 'n', '--interval', '3600']);
    await waitFor(
      () => /waiting 4\d\.\d s for the rclone mount's cache/.test(run.text()),
      'the pass to wait for the cache',
      60_000,
    );
    // Well inside the 41.5 s wait: an exit by this deadline is an exit that did not sit the wait out.
    const exit = await run.stop('SIGTERM', 20_000);
    assert.equal(exit.code, 0, run.text());
    assert.equal(await readFile(join(p.server, 'a.txt'), 'utf8'), 'base', 'nothing was uploaded');
    assert.equal(await readFile(join(p.local, 'a.txt'), 'utf8'), 'the local edit');
    assert.deepEqual(await findNamed(p.server, '.lazysync-tmp'), [], 'no temp file left on the server');
  });

  it('a cache too long to wait out is warned about, and the pass goes on', async () => {
    const remote = await startRcloneRemote('off', { dirCacheS: 300 });
    remotes.push(remote);
    const { p, first } = await syncedThroughMount(remote, 'long');
    // Said once, when the first sync probes the mount.
    assert.match(
      first,
      /the rclone mount answers from its own cache for up to 301 s .*longer than lazysync waits \(60 s\)/,
    );
    await writeFile(join(p.local, 'a.txt'), 'the local edit');
    const r = await syncRaw(p, ['-L', 'n']);
    assert.equal(r.code, 0, describeResult(r));
    assert.doesNotMatch(`${r.stdout}\n${r.stderr}`, /waiting [\d.]+ s for the rclone mount's cache/);
    assert.equal(await readFile(join(p.server, 'a.txt'), 'utf8'), 'the local edit');
  });
});
