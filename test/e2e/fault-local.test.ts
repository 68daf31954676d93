// The local disk fails: a full local filesystem (a small tmpfs) during a hydration and an
// eager download, and a file or folder lazysync may not read or write (EACCES). The placeholder or old copy
// stays, no temp file is left, the error is clear, and it succeeds once the cause is gone.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmod, chown, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  describeResult,
  findNamed,
  killAllCli,
  listVersions,
  newPair,
  nowSec,
  readSpec,
  startRemote,
  syncRaw,
  versionTexts,
  waitFor,
  writeFileAt,
  writeTree,
  type CliResult,
  type Pair,
  type Remote,
} from '../fixture/index.js';
import { isLocalCopy, isPlaceholder, logLines, specOf, startDaemon } from '../fixture/daemon.js';
import { freeBytes, mountTmpfs, unmountTmpfs } from '../fixture/faults.js';
import { binForOtherUsers, NOBODY } from '../fixture/other-user.js';
import { Archive } from '../../src/store/archive.js';

const figures = { faults: 0, filesChecked: 0 };

/** A pair whose local folder is on a fresh tmpfs of `size`; the tmpfs is unmounted afterwards. */
async function withTmpfsPair(
  remote: Remote,
  name: string,
  size: string,
  fn: (p: Pair, disk: string) => Promise<void>,
): Promise<void> {
  const disk = join(remote.base, `tmpfs-${name}`);
  await mountTmpfs(disk, size);
  try {
    const p = await newPair(remote, name);
    await fn({ ...p, local: join(disk, 'local') }, disk);
  } finally {
    await killAllCli();
    unmountTmpfs(disk);
  }
}

/** Fills the filesystem of `disk` until only `leave` bytes are free; returns the filler's path. */
async function fill(disk: string, leave: number): Promise<string> {
  const filler = join(disk, 'filler');
  await writeFile(filler, Buffer.alloc(Math.max(0, freeBytes(disk) - leave)));
  return filler;
}

describe('the local disk fails', { timeout: 300_000 }, () => {
  let remote: Remote;
  before(async () => {
    remote = await startRemote();
  });
  after(async () => {
    await killAllCli();
    await remote.stop();
    process.stdout.write(`# fault-local figures: ${JSON.stringify(figures)}\n`);
  });

  it('ENOSPC during a hydration: the placeholder stays, a problem is shown; the next open after space is freed hydrates', async () => {
    await withTmpfsPair(remote, 'hydrate', '4m', async (p, disk) => {
      const big = randomBytes(2560 << 10);
      await writeTree(p.server, { 'big.bin': big, 'small.txt': 'small' });
      const d = await startDaemon({ pairs: [specOf(p, 'H', { interval: 3600 })] });
      try {
        await d.waitPass('H');
        assert.ok(await isPlaceholder(p, 'big.bin'), 'big.bin starts as a placeholder');
        const filler = await fill(disk, 1 << 20);

        // Opening the placeholder reads the remote file (the program gets its data) and asks for a hydration.
        assert.ok((await readFile(join(p.local, 'big.bin'))).equals(big), 'reads through the placeholder');
        figures.faults++;
        const s = await d.waitPair('H', (x) => x.counts.problems >= 1, 'the failed hydration as a problem');
        assert.equal(s.counts.problems, 1, JSON.stringify(s));
        const failed = logLines(d.logFile).find((l) => /hydrating big\.bin failed/.test(l.msg ?? ''));
        assert.ok(failed !== undefined, `no log line for the failure\n${d.describe()}`);
        assert.match(failed.msg ?? '', /ENOSPC/, failed.msg);
        assert.ok(await isPlaceholder(p, 'big.bin'), 'the placeholder was lost');
        assert.deepEqual(await findNamed(p.local, '.lazysync-tmp-'), [], 'a temp file was left');
        assert.ok((await readFile(join(p.server, 'big.bin'))).equals(big), 'the remote file changed');

        await rm(filler);
        await d.waitFor(
          async () => {
            await readFile(join(p.local, 'big.bin')); // a new open: hydrations are retried on the next open
            return isLocalCopy(p, 'big.bin');
          },
          'a hydration once there is space',
          30_000,
          300,
        );
        assert.ok((await readFile(join(p.local, 'big.bin'))).equals(big), 'the hydrated copy is wrong');
        await d.waitPair('H', (x) => x.counts.problems === 0, 'the problem to be cleared');
        assert.deepEqual(await findNamed(p.local, '.lazysync-tmp-'), []);
        figures.filesChecked += 2;
        await d.stop();
      } finally {
        await d.dispose();
      }
    });
  });

  it('ENOSPC during an eager download: nothing is lost, sync exits 1 naming each failed path; all converge when space is back', async () => {
    await withTmpfsPair(remote, 'eager', '4m', async (p, disk) => {
      const T = nowSec();
      await writeTree(p.server, { 'a.bin': 'old content', 'b.txt': 'b' });
      await writeFileAt(p.server, 'a.bin', 'old content', T - 600);
      const first = await syncRaw(p, ['-L', 'n']);
      assert.equal(first.code, 0, describeResult(first));
      const bigger = randomBytes(2560 << 10);
      await writeFileAt(p.server, 'a.bin', bigger, T - 60);
      const small = 'a small new file';
      await writeTree(p.server, { 'c.txt': small });
      const filler = await fill(disk, 1 << 20);

      const r = await syncRaw(p, ['-L', 'n']);
      figures.faults++;
      const text = `${r.stdout}\n${r.stderr}`;
      assert.equal(r.code, 1, describeResult(r));
      // a.bin (2.5 MiB into 1 MiB) fails whatever else runs. The two downloads run at once, so whether c.txt
      // also meets a full disk depends on which of them takes the last free space first: either outcome is
      // right, as long as each failed path is named and nothing is half-written or lost.
      const failed = ['a.bin', 'c.txt'].filter((rel) =>
        new RegExp(`${rel.replace('.', '\\.')}.*ENOSPC`).test(text),
      );
      assert.ok(
        failed.includes('a.bin'),
        `a.bin is not reported as failed with ENOSPC\n${describeResult(r)}`,
      );
      assert.match(
        r.stderr,
        new RegExp(`\\b${failed.length} path\\(s\\) could not be synced`),
        `the count does not match the paths named (${failed.join(', ')})\n${describeResult(r)}`,
      );
      assert.equal(await readFile(join(p.local, 'a.bin'), 'utf8'), 'old content', 'the old copy was lost');
      const c = await readFile(join(p.local, 'c.txt'), 'utf8').catch(() => undefined);
      if (failed.includes('c.txt')) assert.equal(c, undefined, 'a failed c.txt was left half-written');
      else assert.equal(c, small, 'c.txt, not reported as failed, is wrong');
      assert.deepEqual(await findNamed(p.local, '.lazysync-tmp-'), [], 'a temp file was left');
      assert.deepEqual(await listVersions(p.local), [], 'a version was kept of a file that was not replaced');

      await rm(filler);
      const again = await syncRaw(p, ['-L', 'n']);
      assert.equal(again.code, 0, describeResult(again));
      assert.deepEqual(await readSpec(p.local), await readSpec(p.server), 'both sides converged');
      assert.ok((await readFile(join(p.local, 'a.bin'))).equals(bigger), 'a.bin was not downloaded');
      assert.equal(await readFile(join(p.local, 'c.txt'), 'utf8'), small);
      assert.deepEqual(await versionTexts(p.local, 'a.bin'), ['old content'], 'the old copy is a version');
      assert.deepEqual(await findNamed(p.local, '.lazysync-tmp-'), []);
      figures.filesChecked += 4;
    });
  });

  it('a full disk when the archive commits a batch of records: no crash, the archive works once space is back', async () => {
    // While a pass runs, the archive's records are committed in batches from a timer; on a full disk that
    // commit fails. The batch is given up as a crash would lose it (the next pass finds those paths
    // again): the error must not escape from the timer and kill the process.
    const disk = join(remote.base, 'tmpfs-archive');
    await mountTmpfs(disk, '1m');
    try {
      const archive = Archive.open(join(disk, 'local', '.lazysync'));
      const entry = { kind: 'file', size: 1, mtime: 1, mode: 0o644, ino: 1 } as const;
      const name = (i: number): string => `${'p'.repeat(200)}${i}`;
      const endBatch = archive.writeBehind(20);
      try {
        await fill(disk, 0);
        for (let i = 0; i < 3000; i++) archive.put({ path: name(i), local: entry, remote: entry });
        await waitFor(
          () => archive.get(name(0)) === undefined,
          'a timer commit on the full disk to give its batch up',
          10_000,
        );
        figures.faults++;
        endBatch(); // on the full disk too
      } finally {
        await rm(join(disk, 'filler'), { force: true });
      }
      archive.put({ path: 'after', local: entry, remote: entry });
      assert.ok(archive.get('after') !== undefined, 'the archive works again');
      archive.close();
    } finally {
      unmountTmpfs(disk);
    }
  });

  it('EACCES on one file and one folder (lazysync run as nobody): two problems, everything else syncs', async (t) => {
    // Root ignores permission bits, so lazysync runs as nobody here. The fixture's sshfs mount is root's
    // and sits in a 0700 folder, so this one test uses a plain folder as the remote.
    const base = await mkdtemp(join(tmpdir(), 'lazysync-eacces-'));
    try {
      await chmod(base, 0o755);
      await chown(base, NOBODY, NOBODY);
      const p: Pair = {
        server: join(base, 'remote'),
        remote: join(base, 'remote'),
        local: join(base, 'local'),
      };
      await writeTree(p.server, { 'ok/a.txt': 'a', 'locked/b.txt': 'b' });
      await chownTree(p.server);
      const asNobody = (args: string[]): Promise<CliResult> =>
        runAs(NOBODY, ['sync', '-r', p.remote, '-l', p.local, '-L', 'n', ...args], base);
      const probe = await asNobody([]);
      if (
        probe.code !== 0 &&
        /EACCES|permission denied/i.test(probe.stderr) &&
        !(await isLocalCopy(p, 'ok/a.txt'))
      ) {
        t.skip(`nobody cannot run lazysync here: ${probe.stderr.trim()}`);
        return;
      }
      assert.equal(probe.code, 0, describeResult(probe));

      // One folder lazysync may not write into, one file it may not read.
      await chown(join(p.local, 'locked'), 0, 0);
      await writeFile(join(p.local, 'secret.txt'), 'only root may read this', { mode: 0o600 });
      await writeTree(p.server, { 'locked/new.txt': 'cannot land locally', 'ok/new.txt': 'lands' });
      await chownTree(p.server);
      await writeFile(join(p.local, 'ok', 'up.txt'), 'goes up');
      await chown(join(p.local, 'ok', 'up.txt'), NOBODY, NOBODY);

      const r = await asNobody([]);
      figures.faults += 2;
      assert.equal(r.code, 1, describeResult(r));
      assert.match(r.stdout, /\b2 problems\b/, describeResult(r));
      assert.match(r.stderr, /2 path\(s\) could not be synced/, describeResult(r));
      assert.match(r.stderr, /secret\.txt.*EACCES/, describeResult(r));
      assert.match(r.stderr, /locked\/new\.txt.*EACCES/, describeResult(r));
      assert.equal(
        await readFile(join(p.local, 'ok', 'new.txt'), 'utf8'),
        'lands',
        'other downloads stopped',
      );
      assert.equal(
        await readFile(join(p.server, 'ok', 'up.txt'), 'utf8'),
        'goes up',
        'other uploads stopped',
      );
      assert.equal(await readFile(join(p.local, 'secret.txt'), 'utf8'), 'only root may read this');
      assert.deepEqual(await listVersions(p.local), []);
      assert.deepEqual(await listVersions(p.server), []);

      await chown(join(p.local, 'locked'), NOBODY, NOBODY);
      await chown(join(p.local, 'secret.txt'), NOBODY, NOBODY);
      const again = await asNobody([]);
      assert.equal(again.code, 0, describeResult(again));
      const both = await readSpec(p.local);
      assert.deepEqual(both, await readSpec(p.server));
      assert.equal(both['locked/new.txt'], 'cannot land locally');
      assert.equal(both['secret.txt'], 'only root may read this');
      figures.filesChecked += 2 * Object.values(both).filter((v) => typeof v === 'string').length;
    } finally {
      await rm(base, { recursive: true, force: true });
    }
  });
});

/** Gives everything below `root` (and root) to nobody, as if nobody had written it. */
async function chownTree(root: string): Promise<void> {
  await chown(root, NOBODY, NOBODY);
  for (const [rel] of Object.entries(await readSpec(root))) await chown(join(root, rel), NOBODY, NOBODY);
}

/**
 * `node bin/lazysync.js ...args` as the user `uid` (its group too), with HOME and XDG folders in `home`;
 * from a copy any user can read, since the checkout may sit in a folder only its owner can enter.
 */
function runAs(uid: number, args: string[], home: string): Promise<CliResult> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [binForOtherUsers(), ...args],
      {
        uid,
        gid: uid,
        cwd: home,
        timeout: 60_000,
        env: {
          ...process.env,
          HOME: home,
          XDG_RUNTIME_DIR: home,
          XDG_STATE_HOME: home,
          XDG_CONFIG_HOME: home,
        },
      },
      (err, stdout, stderr) => {
        const code = err === null ? 0 : typeof err.code === 'number' ? err.code : 128;
        resolve({ code, stdout, stderr });
      },
    );
  });
}
