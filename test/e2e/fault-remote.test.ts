// The remote fails: unmounted mid-scan and mid-copy, sshfs killed (ENOTCONN), sshd killed
// (EIO), the served folder replaced, a read-only mount (EROFS). A partial or failed scan is never read as
// deletions; the pair pauses as remote-unavailable with the reason and resumes by itself.
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdir, readFile, readdir, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import {
  describeOutput,
  describeResult,
  findNamed,
  killAllCli,
  listVersions,
  newPair,
  readSpec,
  spawnCli,
  startRemote,
  syncRaw,
  waitFor,
  writeFileAt,
  writeTree,
  type Pair,
  type Remote,
  type TreeSpec,
} from '../fixture/index.js';
import { startDaemon, specOf, type Daemon, type PairSpec } from '../fixture/daemon.js';
import {
  archiveDigest,
  detachMount,
  killSshd,
  mountWith,
  restartSshd,
  threadsInFuse,
  unmountOwn,
  type Owned,
} from '../fixture/faults.js';

const UNAVAILABLE = /remote unavailable/i;

/** Figures for docs/reliability.md, printed at the end. */
const figures = { faults: 0, filesChecked: 0 };

/** A fresh remote for one test (each test breaks it), always stopped, with whatever we started. */
async function withRemote(fn: (remote: Remote, extra: Owned[]) => Promise<void>): Promise<void> {
  const remote = await startRemote();
  const extra: Owned[] = [];
  try {
    await fn(remote, extra);
  } finally {
    await killAllCli();
    for (const o of extra) {
      await detachMount(remote.mountDir).catch(() => undefined);
      await o.stop();
    }
    await remote.stop();
  }
}

async function withDaemon<T>(start: () => Promise<Daemon>, fn: (d: Daemon) => Promise<T>): Promise<T> {
  const d = await start();
  try {
    return await fn(d);
  } finally {
    await d.dispose();
  }
}

/** `dirs` folders of `per` small files each. */
function manyFiles(dirs: number, per: number): TreeSpec {
  const spec: TreeSpec = {};
  for (let d = 0; d < dirs; d++) {
    for (let f = 0; f < per; f++) spec[`d${String(d).padStart(3, '0')}/f${f}.txt`] = `dir ${d} file ${f}\n`;
  }
  return spec;
}

/**
 * The text files of both sides equal `spec`'s (paths in `besides`, e.g. a big binary checked on its own,
 * are left out), and neither side has versions.
 */
async function assertIntact(p: Pair, spec: TreeSpec, what: string, besides: string[] = []): Promise<void> {
  const files = (s: Record<string, unknown>) =>
    Object.fromEntries(
      Object.entries(s).filter(
        // A temp file on a mount that went away cannot be removed until it is back (noTemps checks then).
        ([k, v]) => typeof v === 'string' && !besides.includes(k) && !k.includes('.lazysync-tmp-'),
      ),
    );
  assert.deepEqual(files(await readSpec(p.local)), files(spec), `${what}: the local side changed`);
  assert.deepEqual(files(await readSpec(p.server)), files(spec), `${what}: the server side changed`);
  assert.deepEqual(await listVersions(p.local), [], `${what}: local versions were written`);
  assert.deepEqual(await listVersions(p.server), [], `${what}: remote versions were written`);
  figures.filesChecked += 2 * Object.keys(files(spec)).length;
}

/** Lazy mode: every file of `spec` is a placeholder locally and unchanged on the server; no versions. */
async function assertPlaceholders(p: Pair, spec: TreeSpec, what: string): Promise<void> {
  const local = await readSpec(p.local);
  const server = await readSpec(p.server);
  for (const [rel, content] of Object.entries(spec)) {
    assert.deepEqual(
      local[rel],
      { symlink: `${p.remote}/${rel}` },
      `${what}: local ${rel} is not its placeholder`,
    );
    assert.equal(server[rel], content, `${what}: ${rel} changed on the server`);
  }
  const files = (t: TreeSpec) => Object.keys(t).filter((k) => !('dir' in (t[k] as object)));
  assert.deepEqual(files(local).sort(), Object.keys(spec).sort(), `${what}: other local entries`);
  assert.deepEqual(await listVersions(p.local), [], `${what}: local versions were written`);
  assert.deepEqual(await listVersions(p.server), [], `${what}: remote versions were written`);
  figures.filesChecked += 2 * Object.keys(spec).length;
}

async function noTemps(p: Pair): Promise<void> {
  assert.deepEqual(await findNamed(p.local, '.lazysync-tmp-'), [], 'temporary files left locally');
  assert.deepEqual(await findNamed(p.server, '.lazysync-tmp-'), [], 'temporary files left on the server');
}

/** The content of `rel` under `root`, or undefined. */
async function contentOf(root: string, rel: string): Promise<Buffer | undefined> {
  return readFile(join(root, rel)).catch(() => undefined);
}

/**
 * Freezes sshfs (SIGSTOP) while the daemon scans, runs `fault`, then thaws sshfs. A scan is seen as several
 * of the daemon's threads waiting for FUSE answers at once: the health check before it and the watches
 * after it make one request at a time, the scan lists and examines dozens of paths in parallel. After the
 * freeze the check is repeated, so the fault provably comes in the middle of a scan; if it does not hold
 * (the scan ended in between), sshfs is thawed and the next pass is tried.
 */
/** Waits until pair A of `d` shows the state remote-unavailable (`after` says why it should), and returns it. */
function waitUnavailable(d: Daemon, after: string): ReturnType<Daemon['waitPair']> {
  return d.waitPair('A', (s) => s.state === 'remote-unavailable', `remote-unavailable ${after}`);
}

async function faultMidScan(d: Daemon, sshfs: number, fault: () => Promise<void>): Promise<void> {
  const pid = d.proc.pid ?? 0;
  for (let attempt = 1; ; attempt++) {
    await d.waitFor(() => threadsInFuse(pid) >= 2, 'a scan in flight', 30_000, 1);
    process.kill(sshfs, 'SIGSTOP');
    let caught = false;
    try {
      caught = await waitFor(() => threadsInFuse(pid) >= 2, 'the scan to block on sshfs', 300, 10).then(
        () => true,
        () => false,
      );
      if (caught) await fault();
    } finally {
      process.kill(sshfs, 'SIGCONT');
    }
    if (caught) return;
    if (attempt >= 20) throw new Error('never froze sshfs in the middle of a scan in 20 tries');
  }
}

describe('the remote fails', { timeout: 300_000 }, () => {
  after(() => {
    process.stdout.write(`# fault-remote figures: ${JSON.stringify(figures)}\n`);
  });

  it('unmounted mid-scan: the partial scan is not read as deletions; the daemon pauses and resumes', async () => {
    await withRemote(async (remote) => {
      const p = await newPair(remote, 'root', { root: true });
      const spec = manyFiles(50, 8);
      await writeTree(p.server, spec);
      await withDaemon(
        // The mass-delete guard is off (100%): the scan alone must not read the unmount as deletions.
        () => startDaemon({ pairs: [specOf(p, 'A', { interval: 1, max_delete: 100 })] }),
        async (d) => {
          await d.waitPass('A', undefined, 60_000);
          await assertPlaceholders(p, spec, 'after the first pass');
          const archive = archiveDigest(p.local);
          const { sshfs } = remote.pids();
          assert.ok(sshfs !== undefined);

          // The mount goes away under the frozen scan (a lazy unmount: it is busy); once sshfs thaws it
          // answers what was in flight, and every later lookup lands in the bare mount point (ENOENT).
          await faultMidScan(d, sshfs, () => detachMount(remote.mountDir));
          figures.faults++;
          const down = await waitUnavailable(d, 'after the unmount');
          assert.ok((down.reason ?? '') !== '', 'the state comes with a reason');
          const human = await d.ok(['status', 'A']);
          assert.match(human.stdout, UNAVAILABLE, human.stdout);
          assert.ok(human.stdout.includes(down.reason ?? ''), `status shows the reason\n${human.stdout}`);
          await assertPlaceholders(p, spec, 'while unmounted');
          assert.deepEqual(archiveDigest(p.local), archive, 'the archive changed');
          assert.deepEqual(
            await readdir(remote.mountDir),
            [],
            'something was written into the bare mount point',
          );

          await writeTree(p.server, { 'later.txt': 'written while unmounted' });
          await remote.mount();
          await d.waitFor(
            async () => ((await readSpec(p.local).catch(() => ({}))) as TreeSpec)['later.txt'] !== undefined,
            'the pair to resume by itself after the remount',
          );
          await assertPlaceholders(
            p,
            { ...spec, 'later.txt': 'written while unmounted' },
            'after the remount',
          );
          await noTemps(p);
          await d.stop();
        },
      );
    });
  });

  it('sshfs killed mid-download (ENOTCONN): sync exits 1 "remote unavailable", nothing lost', async () => {
    await withRemote(async (remote) => {
      const p = await newPair(remote, 'root', { root: true });
      const spec = manyFiles(10, 3);
      await writeTree(p.server, spec);
      const first = await syncRaw(p, ['-L', 'n']);
      assert.equal(first.code, 0, describeResult(first));
      const big = randomBytes(5 << 20);
      await writeFileAt(p.server, 'big.bin', big);
      const archive = archiveDigest(p.local);
      await p.caughtUp?.();

      // A download slowed to ~3 s by --bwlimit: kill sshfs once its temp file is there.
      const child = spawnCli(['sync', '-r', p.remote, '-l', p.local, '-L', 'n', '--bwlimit', '2M']);
      await waitFor(
        async () => {
          if (child.exitCode !== null) throw new Error(`sync ended first\n${describeOutput(child.output())}`);
          return (await findNamed(p.local, '.lazysync-tmp-')).length > 0;
        },
        'the download of big.bin to start',
        30_000,
        10,
      );
      await remote.killSshfs();
      figures.faults++;
      const exit = await child.exited;
      const out = child.output();
      assert.equal(exit.code, 1, describeOutput(out));
      assert.match(out.stderr, /^lazysync: remote unavailable: .+/m, describeOutput(out));
      assert.equal(out.stderr.trim().split('\n').length, 1, `one line on stderr\n${out.stderr}`);
      assert.equal(await contentOf(p.local, 'big.bin'), undefined, 'a partial big.bin landed');
      await assertIntact(p, spec, 'after the kill', ['big.bin']);
      assert.deepEqual(archiveDigest(p.local), archive, 'the archive changed');
      assert.deepEqual(await findNamed(p.local, '.lazysync-tmp-'), [], 'the temp file was left');

      // A dead mount (every access ENOTCONN): a new sync is refused the same way.
      const again = await syncRaw(p, ['-L', 'n']);
      assert.equal(again.code, 1, describeResult(again));
      assert.match(again.stderr, UNAVAILABLE);
      assert.deepEqual(archiveDigest(p.local), archive, 'the archive changed');

      await remote.mount();
      const done = await syncRaw(p, ['-L', 'n']);
      assert.equal(done.code, 0, describeResult(done));
      assert.ok((await contentOf(p.local, 'big.bin'))?.equals(big), 'big.bin is complete after the remount');
      await assertIntact(p, spec, 'after the remount', ['big.bin']);
      await noTemps(p);
      figures.filesChecked += 1;
    });
  });

  it('unmounted mid-upload: the local file is kept, the daemon pauses, then uploads it whole', async () => {
    await withRemote(async (remote) => {
      const p = await newPair(remote, 'root', { root: true });
      const spec = manyFiles(5, 2);
      await writeTree(p.server, spec);
      await withDaemon(
        () =>
          startDaemon({
            pairs: [{ ...specOf(p, 'A', { interval: 1, lazy: false }), bwlimit: '2M' } as PairSpec],
          }),
        async (d) => {
          await d.waitPass('A');
          const big = randomBytes(5 << 20);
          await writeTree(p.local, { 'up/big.bin': big });
          await d.waitFor(
            async () => (await findNamed(p.server, '.lazysync-tmp-')).length > 0,
            'the upload of big.bin to start',
            30_000,
            10,
          );
          await detachMount(remote.mountDir);
          figures.faults++;
          const down = await waitUnavailable(d, 'after the unmount');
          assert.match(down.reason ?? '', /not mounted|unavailable|went away/, JSON.stringify(down));
          assert.ok((await contentOf(p.local, 'up/big.bin'))?.equals(big), 'the local file changed');
          await assertIntact(p, spec, 'while unmounted', ['up/big.bin']);
          assert.deepEqual(
            await readdir(remote.mountDir),
            [],
            'something was written into the bare mount point',
          );

          await remote.mount();
          await d.waitFor(
            async () => (await contentOf(p.server, 'up/big.bin'))?.equals(big) === true,
            'big.bin to be uploaded whole after the remount',
            60_000,
          );
          await d.waitPair(
            'A',
            (s) => s.state === 'idle' && s.counts.problems === 0,
            'idle with no problems',
          );
          await noTemps(p);
          figures.filesChecked += 2;
          await d.stop();
        },
      );
    });
  });

  it(
    'unmounted mid-upload with more uploads queued: sync exits 1, nothing is written into the bare mount point',
    {},
    async () => {
      await withRemote(async (remote) => {
        const p = await newPair(remote, 'root', { root: true });
        await writeTree(p.server, { 'seed.txt': 'seed' });
        const first = await syncRaw(p, ['-L', 'n']);
        assert.equal(first.code, 0, describeResult(first));
        const big = randomBytes(5 << 20);
        await writeTree(p.local, { 'big.bin': big, 'z.txt': 'queued behind big.bin' });
        const child = spawnCli(['sync', '-r', p.remote, '-l', p.local, '-L', 'n', '--bwlimit', '2M']);
        await waitFor(
          async () => (await findNamed(p.server, '.lazysync-tmp-')).length > 0,
          'the upload of big.bin to start',
          30_000,
          10,
        );
        await detachMount(remote.mountDir);
        figures.faults++;
        const exit = await child.exited;
        const out = child.output();
        assert.deepEqual(
          await readdir(remote.mountDir),
          [],
          `written into the bare mount point\n${describeOutput(out)}`,
        );
        assert.equal(exit.code, 1, describeOutput(out));
        assert.match(out.stderr, UNAVAILABLE, describeOutput(out));
      });
    },
  );

  it('sshd killed (EIO from a reconnecting sshfs): sync exits 1, the daemon pauses and resumes once sshd is back', async () => {
    await withRemote(async (remote, extra) => {
      await remote.unmount();
      extra.push(await mountWith(remote, ['reconnect', 'ServerAliveInterval=1', 'ServerAliveCountMax=1']));
      const p = await newPair(remote, 'root', { root: true });
      const spec = manyFiles(5, 2);
      await writeTree(p.server, spec);
      await withDaemon(
        () => startDaemon({ pairs: [specOf(p, 'A', { interval: 1, lazy: false })] }),
        async (d) => {
          await d.waitPass('A');
          await assertIntact(p, spec, 'after the first pass');
          const archive = archiveDigest(p.local);

          await killSshd(remote);
          figures.faults++;
          const down = await waitUnavailable(d, 'once sshd is gone');
          assert.ok((down.reason ?? '') !== '', 'the state comes with a reason');
          const r = await syncRaw({ ...p, local: join(remote.base, 'other-local') }, ['-L', 'n'], {
            timeoutMs: 30_000,
          });
          assert.equal(r.code, 1, describeResult(r));
          assert.match(r.stderr, /^lazysync: .+/m, describeResult(r));
          await assertIntact(p, spec, 'while sshd is down');
          assert.deepEqual(archiveDigest(p.local), archive, 'the archive changed');

          extra.push(await restartSshd(remote));
          await writeTree(p.server, { 'later.txt': 'after sshd came back' });
          await d.waitFor(
            async () => (await contentOf(p.local, 'later.txt'))?.toString() === 'after sshd came back',
            'the pair to resume once sshd is back',
            30_000,
          );
          await assertIntact(p, { ...spec, 'later.txt': 'after sshd came back' }, 'after sshd came back');
          await d.stop();
        },
      );
    });
  });

  it('the served folder replaced under the mount: paused (marker missing), nothing deleted; back when restored', async () => {
    await withRemote(async (remote) => {
      const p = await newPair(remote, 'sub');
      const spec = manyFiles(4, 2);
      await writeTree(p.server, spec);
      await withDaemon(
        () => startDaemon({ pairs: [specOf(p, 'A', { interval: 1, lazy: false })] }),
        async (d) => {
          await d.waitPass('A');
          const archive = archiveDigest(p.local);
          await rename(p.server, `${p.server}.moved`);
          await mkdir(p.server);
          await writeTree(p.server, { 'stranger.txt': 'not the synced folder' });
          figures.faults++;
          const down = await waitUnavailable(d, 'with the marker missing');
          assert.match(down.reason ?? '', /marker/, JSON.stringify(down));
          const files = (s: Record<string, unknown>) =>
            Object.fromEntries(Object.entries(s).filter(([, v]) => typeof v === 'string'));
          assert.deepEqual(files(await readSpec(p.local)), spec, 'the local side changed');
          assert.deepEqual(await listVersions(p.local), []);
          assert.deepEqual(archiveDigest(p.local), archive, 'the archive changed');

          await rename(p.server, `${p.server}.stranger`);
          await rename(`${p.server}.moved`, p.server);
          await d.waitPair('A', (s) => s.state === 'idle', 'idle again once the folder is back');
          await assertIntact(p, spec, 'after the folder came back');
          figures.filesChecked += Object.keys(spec).length;
          await d.stop();
        },
      );
    });
  });

  it('a read-only remote (EROFS): local edits stay and are reported as problems; synced once writable', async () => {
    await withRemote(async (remote, extra) => {
      const p = await newPair(remote, 'root', { root: true });
      const spec = { 'a.txt': 'a', 'b.txt': 'b', 'd/c.txt': 'c' };
      await writeTree(p.server, spec);
      const first = await syncRaw(p, ['-L', 'n']);
      assert.equal(first.code, 0, describeResult(first));
      await remote.unmount();
      const ro = await mountWith(remote, ['ro']);
      extra.push(ro);

      await writeFileAt(p.local, 'a.txt', 'a edited locally');
      await writeTree(p.local, { 'new.txt': 'new locally', 'nd/x.txt': 'x' });
      await rm(join(p.local, 'b.txt'));
      const local = await readSpec(p.local);
      const server = await readSpec(p.server);

      const r = await syncRaw(p, ['-L', 'n']);
      figures.faults++;
      assert.equal(r.code, 1, describeResult(r));
      assert.match(r.stderr, /could not be synced/, describeResult(r));
      assert.match(`${r.stdout}\n${r.stderr}`, /EROFS|read-only/i, describeResult(r));
      assert.deepEqual(await readSpec(p.local), local, 'the local edits were touched');
      assert.deepEqual(await readSpec(p.server), server, 'the remote changed');
      assert.deepEqual(await listVersions(p.local), []);

      await withDaemon(
        () => startDaemon({ pairs: [specOf(p, 'A', { interval: 1, lazy: false })] }),
        async (d) => {
          const s = await d.waitPair('A', (x) => x.counts.problems >= 3, 'the failed uploads as problems');
          assert.equal(s.state === 'remote-unavailable', false, 'a read-only remote is not unavailable');
          assert.deepEqual(await readSpec(p.local), local, 'the local edits were touched');

          await unmountOwn(remote, ro);
          extra.splice(extra.indexOf(ro), 1);
          await remote.mount();
          await d.waitPair('A', (x) => x.state === 'idle' && x.counts.problems === 0, 'synced once writable');
          await d.waitFor(
            async () => JSON.stringify(await readSpec(p.server)) === JSON.stringify(local),
            'the server to hold the local edits',
          );
          assert.deepEqual(await readSpec(p.local), local);
          figures.filesChecked += 2 * Object.keys(local).length;
          await d.stop();
        },
      );
    });
  });
});
