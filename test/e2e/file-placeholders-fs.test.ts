// File placeholders where they work and where they do not: xfs and btrfs (pre-content events), tmpfs (open
// events only), a user who is not root (a clear error, exit 2, nothing made); and what follows a user's
// `mv` of a placeholder and a --pin pattern.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { chown, readFile, rename } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { killAllCli, startRemote, waitFor, writeTree, type Remote } from '../fixture/index.js';
import {
  assertFilePlaceholder,
  assertHydrated,
  placeholderAttr,
  runProgram,
  startFileWorld,
  waitFilePlaceholder,
  type FileWorld,
} from '../fixture/file-placeholders.js';
import { loopFsSkipReason } from '../fixture/loopfs.js';
import { binForOtherUsers, NOBODY } from '../fixture/other-user.js';
import { assertRunning, logLines, startRun, stopRun } from '../fixture/run.js';

describe('file placeholders on each filesystem, and where they cannot work', { timeout: 600_000 }, () => {
  let remote: Remote;
  before(async () => {
    remote = await startRemote();
  });
  after(async () => {
    await killAllCli();
    await remote.stop();
  });

  for (const kind of ['xfs', 'btrfs', 'tmpfs'] as const) {
    const why = loopFsSkipReason(kind);
    const mode = kind === 'tmpfs' ? 'open' : 'pre-content';
    it(
      `${kind}: placeholders made, fetched on first read (${mode} events)`,
      { skip: why ?? false },
      async () => {
        const world = await startFileWorld(remote, kind);
        try {
          const p = await world.pair(`fs-${kind}`);
          const content = randomBytes(70_000);
          await writeTree(p.server, { 'f.bin': content });
          const log = join(remote.base, `fp-${kind}.log`);
          const run = startRun(p, log, ['--placeholders', 'file', '--interval', '3600'], { env: world.env });
          try {
            await waitFilePlaceholder(p, 'f.bin');
            await assertFilePlaceholder(p, 'f.bin');
            const said = logLines(log).map((l) => String(l.msg));
            assert.ok(
              said.some((m) => m.includes(`${mode} events`)),
              `the log names the ${mode} events:\n${said.join('\n')}`,
            );
            const cp = await runProgram('cp', [join(p.local, 'f.bin'), join(p.local, 'copy.bin')]);
            assert.equal(cp.code, 0, cp.stderr);
            assert.deepEqual(await readFile(join(p.local, 'copy.bin')), content, 'cp of a placeholder');
            await assertHydrated(p, 'f.bin', content);
            assertRunning(run);
            await stopRun(run);
          } finally {
            run.kill('SIGKILL');
          }
        } finally {
          await world.stop();
        }
      },
    );
  }

  it('not root: run --placeholders file stops at once with exit 2, says what is missing, and makes nothing', async () => {
    const home = mkdtempSync(join(tmpdir(), 'lazysync-nobody-'));
    await chown(home, NOBODY, NOBODY);
    const local = join(home, 'L');
    try {
      const r = await new Promise<{ code: number; stderr: string }>((resolve) => {
        execFile(
          process.execPath,
          [binForOtherUsers(), 'run', '-r', remote.mountDir, '-l', local, '--placeholders', 'file'],
          {
            uid: NOBODY,
            gid: NOBODY,
            cwd: home,
            timeout: 60_000,
            env: {
              ...process.env,
              HOME: home,
              XDG_RUNTIME_DIR: home,
              LAZYSYNC_RUNTIME_DIR: join(home, 'run'),
            },
          },
          (err, _stdout, stderr) =>
            resolve({ code: err === null ? 0 : typeof err.code === 'number' ? err.code : 128, stderr }),
        );
      });
      assert.equal(r.code, 2, r.stderr);
      assert.match(r.stderr, /^lazysync: --placeholders file cannot work here: .*root.*/m);
      assert.match(r.stderr, /--placeholders link works everywhere/);
      assert.equal(existsSync(local), false, 'the local folder was not made');
    } finally {
      rmSync(home, { recursive: true, force: true });
    }
  });

  describe('on ext4', () => {
    let world: FileWorld;
    before(async () => {
      world = await startFileWorld(remote, 'ext4');
    });
    after(async () => {
      await killAllCli();
      await world?.stop();
    });

    it('mv of a placeholder: the remote file is renamed, the moved file stays a placeholder of its new path and reads', async () => {
      const p = await world.pair('moved');
      await writeTree(p.server, { 'old.txt': 'moved content\n', 'dir/x.txt': 'x\n' });
      const log = join(remote.base, 'fp-moved.log');
      const run = startRun(p, log, ['--placeholders', 'file', '--interval', '3600'], { env: world.env });
      try {
        await waitFilePlaceholder(p, 'old.txt');
        await waitFilePlaceholder(p, 'dir/x.txt');
        await rename(join(p.local, 'old.txt'), join(p.local, 'new.txt'));
        // Opened at once, before the pass has made the move: the program waits for it.
        const early = await runProgram('cat', [join(p.local, 'new.txt')]);
        assert.equal(early.code, 0, early.stderr);
        assert.equal(early.stdout.toString(), 'moved content\n', 'a moved placeholder opened at once');
        await rename(join(p.local, 'dir'), join(p.local, 'moved-dir'));
        await waitFor(
          () =>
            existsSync(join(p.server, 'new.txt')) &&
            !existsSync(join(p.server, 'old.txt')) &&
            existsSync(join(p.server, 'moved-dir/x.txt')),
          'the moves made on the remote',
          60_000,
        );
        await waitFor(
          () => placeholderAttr(join(p.local, 'moved-dir/x.txt')) === 'moved-dir/x.txt',
          'moved-dir/x.txt re-pointed',
          30_000,
        );
        await assertFilePlaceholder(p, 'moved-dir/x.txt');
        await assertHydrated(p, 'new.txt', 'moved content\n');
        assert.equal((await runProgram('cat', [join(p.local, 'moved-dir/x.txt')])).stdout.toString(), 'x\n');
        const said = logLines(log).map((l) => String(l.msg));
        assert.ok(!said.some((m) => /upload/.test(m) && /new\.txt/.test(m)), 'nothing uploaded for a move');
        await stopRun(run);
      } finally {
        run.kill('SIGKILL');
      }
    });

    it('eager with --max-size: larger files stay placeholders, and an open still fetches them', async () => {
      const p = await world.pair('max-size');
      const big = randomBytes(64 << 10);
      await writeTree(p.server, { 'small.txt': 'small\n', 'big.bin': big });
      const log = join(remote.base, 'fp-max-size.log');
      const run = startRun(
        p,
        log,
        ['--placeholders', 'file', '-L', 'n', '--max-size', '16K', '--interval', '3600'],
        {
          env: world.env,
        },
      );
      try {
        await waitFilePlaceholder(p, 'big.bin');
        await waitFor(() => existsSync(join(p.local, 'small.txt')), 'small.txt downloaded', 30_000);
        await assertHydrated(p, 'small.txt', 'small\n');
        await assertFilePlaceholder(p, 'big.bin');
        const sum = await runProgram('sha256sum', [join(p.local, 'big.bin')]);
        assert.equal(sum.code, 0, sum.stderr);
        await assertHydrated(p, 'big.bin', big);
        await stopRun(run);
      } finally {
        run.kill('SIGKILL');
      }
    });

    it('--pin: pinned files are downloaded as local copies by the pass, the others stay placeholders', async () => {
      const p = await world.pair('pinned');
      await writeTree(p.server, { 'keep.db': 'pinned data\n', 'other.txt': 'lazy\n' });
      const log = join(remote.base, 'fp-pinned.log');
      const run = startRun(p, log, ['--placeholders', 'file', '--pin', '*.db', '--interval', '3600'], {
        env: world.env,
      });
      try {
        await waitFilePlaceholder(p, 'other.txt');
        await waitFor(
          async () =>
            existsSync(join(p.local, 'keep.db')) && placeholderAttr(join(p.local, 'keep.db')) === undefined,
          'keep.db downloaded',
          30_000,
        );
        await assertHydrated(p, 'keep.db', 'pinned data\n');
        await assertFilePlaceholder(p, 'other.txt');
        await stopRun(run);
      } finally {
        run.kill('SIGKILL');
      }
    });
  });
});
