// File placeholders (--placeholders file) with `lazysync run`, the local folder on a real ext4 image and the
// remote a default sshfs mount: what programs see (ls, stat, cat, cp, tar, rsync, sha256sum, mmap, git),
// fetched once, an open that overwrites, edits, the daemon killed with a reader waiting, refused indexers.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { lstat, readFile, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import {
  killAllCli,
  listVersions,
  versionTexts,
  nowSec,
  setMtime,
  startRemote,
  waitFor,
  writeTree,
  type Remote,
} from '../fixture/index.js';
import {
  assertFilePlaceholder,
  assertHydrated,
  placeholderAttr,
  runProgram,
  startFileWorld,
  waitFilePlaceholder,
  type FileWorld,
} from '../fixture/file-placeholders.js';
import { assertRunning, logLines, startRun, stopRun } from '../fixture/run.js';
import { stopSupervisor } from '../../src/hsm/client.js';

const BASE = nowSec() - 7200;

/** The paths the log says were hydrated, with how many times each. */
function hydrations(log: string): Map<string, number> {
  const seen = new Map<string, number>();
  for (const l of logLines(log)) {
    if (typeof l.msg === 'string' && l.msg.startsWith('hydrated ')) {
      seen.set(String(l.path), (seen.get(String(l.path)) ?? 0) + 1);
    }
  }
  return seen;
}

describe(
  'file placeholders with lazysync run (ext4 local folder, sshfs remote)',
  { timeout: 600_000 },
  () => {
    let remote: Remote;
    let world: FileWorld;
    before(async () => {
      remote = await startRemote();
      world = await startFileWorld(remote, 'ext4');
    });
    after(async () => {
      await killAllCli();
      await world?.stop();
      await remote?.stop();
    });

    const runFiles = (p: { remote: string; local: string }, log: string, extra: string[] = []) =>
      startRun(p as never, log, ['--placeholders', 'file', '--interval', '3600', ...extra], {
        env: world.env,
      });

    it('a placeholder looks like the file (size, mtime, mode, no blocks); stat fetches nothing; the first read fetches it once', async () => {
      const p = await world.pair('basic');
      const content = randomBytes(10_000);
      await writeTree(p.server, { 'doc.bin': content, 'sub/note.txt': 'hello\n' });
      await setMtime(p.server, 'doc.bin', BASE);
      const log = join(remote.base, 'fp-basic.log');
      const run = runFiles(p, log);
      try {
        await waitFilePlaceholder(p, 'doc.bin');
        await waitFilePlaceholder(p, 'sub/note.txt');
        await assertFilePlaceholder(p, 'doc.bin');
        // ls -l, stat and du look without fetching.
        const ls = await runProgram('ls', ['-lR', p.local]);
        assert.equal(ls.code, 0);
        assert.match(ls.stdout.toString(), /10000 .* doc\.bin/);
        const du = await runProgram('du', ['-s', '--block-size=1', join(p.local, 'doc.bin')]);
        assert.match(du.stdout.toString(), /^0\s/);
        assert.equal(hydrations(log).size, 0, 'nothing fetched by looking');

        const cat = await runProgram('cat', [join(p.local, 'doc.bin')]);
        assert.equal(cat.code, 0, cat.stderr);
        assert.deepEqual(cat.stdout, content, 'the first read gets the remote content');
        await assertHydrated(p, 'doc.bin', content);
        const st = await stat(join(p.local, 'doc.bin'));
        assert.equal(Math.floor(st.mtimeMs / 1000), BASE, 'the local copy keeps the remote mtime');
        assert.deepEqual((await runProgram('cat', [join(p.local, 'doc.bin')])).stdout, content);
        await waitFor(() => hydrations(log).get('doc.bin') === 1, 'the hydration in the log', 10_000);
        assert.equal(hydrations(log).get('doc.bin'), 1, 'fetched once');
        assertRunning(run);
        await stopRun(run);
        // The other file is still a placeholder after the daemon stopped.
        await assertFilePlaceholder(p, 'sub/note.txt');
      } finally {
        run.kill('SIGKILL');
      }
    });

    it('cp -r (hole-aware), tar, rsync, sha256sum, an mmap reader and git status see the real content, each file fetched once', async () => {
      const p = await world.pair('copiers');
      const files: Record<string, Buffer> = {};
      // One tree per copier, so that each meets placeholders, none of them fetched before.
      const COPIERS = ['cp', 'tar', 'rsync'];
      const tree: Record<string, Buffer> = {};
      for (let i = 0; i < 6; i++) tree[`d${i % 2}/f${i}.bin`] = randomBytes(3000 + i * 4096);
      for (const c of COPIERS) for (const [rel, b] of Object.entries(tree)) files[`${c}/${rel}`] = b;
      files['big.bin'] = randomBytes(5 << 20);
      files['mm.bin'] = randomBytes(70_000);
      await writeTree(p.server, files);
      // A git repository on the remote, committed there: its working files and .git are placeholders locally.
      const repo = join(p.server, 'repo');
      await writeTree(repo, { 'README.md': '# repo\n', 'src/main.c': 'int main(void) { return 0; }\n' });
      for (const args of [
        ['init', '-q'],
        ['add', '.'],
        ['-c', 'user.name=t', '-c', 'user.email=t@example.invalid', 'commit', '-qm', 'first'],
      ]) {
        const r = await runProgram('git', args, { cwd: repo });
        assert.equal(r.code, 0, r.stderr);
      }
      const log = join(remote.base, 'fp-copiers.log');
      const run = runFiles(p, log);
      const out = mkdtempSync(join(tmpdir(), 'lazysync-copies-'));
      try {
        await waitFilePlaceholder(p, 'big.bin');
        await waitFilePlaceholder(p, 'repo/README.md');
        for (const rel of Object.keys(files)) await waitFilePlaceholder(p, rel);

        const cp = await runProgram('cp', ['-r', join(p.local, 'cp'), join(out, 'cp')]);
        assert.equal(cp.code, 0, cp.stderr);
        // GNU tar exits 1 if a file or a folder changes while it reads it: a fetch must change neither.
        const tar = await runProgram('tar', ['-C', p.local, '-cf', join(out, 't.tar'), 'tar']);
        assert.equal(tar.code, 0, tar.stderr);
        assert.equal((await runProgram('tar', ['-C', out, '-xf', join(out, 't.tar')])).code, 0);
        const rsync = await runProgram('rsync', ['-a', `${join(p.local, 'rsync')}/`, join(out, 'rsync')]);
        assert.equal(rsync.code, 0, rsync.stderr);
        for (const c of COPIERS) {
          for (const [rel, content] of Object.entries(tree)) {
            assert.deepEqual(readFileSync(join(out, c, rel)), content, `${c}: ${rel}`);
          }
        }

        const sum = await runProgram('sha256sum', [join(p.local, 'big.bin')]);
        assert.equal(sum.code, 0, sum.stderr);
        const want = (await runProgram('sha256sum', [join(p.server, 'big.bin')])).stdout
          .toString()
          .split(' ')[0];
        assert.equal(sum.stdout.toString().split(' ')[0], want, 'sha256sum of a placeholder');

        const mmapRead = [
          '-c',
          'import mmap,sys,hashlib\nf=open(sys.argv[1],"rb")\nm=mmap.mmap(f.fileno(),0,prot=mmap.PROT_READ)\nprint(hashlib.sha256(m[:]).hexdigest())',
          join(p.local, 'mm.bin'),
        ];
        const mm = await runProgram('python3', mmapRead);
        assert.equal(mm.code, 0, mm.stderr);
        const wantMm = (await runProgram('sha256sum', [join(p.server, 'mm.bin')])).stdout.toString();
        assert.equal(mm.stdout.toString().trim(), wantMm.split(' ')[0], 'an mmap reader of a placeholder');

        const status = await runProgram('git', ['status', '--porcelain'], { cwd: join(p.local, 'repo') });
        assert.equal(status.code, 0, status.stderr);
        assert.equal(status.stdout.toString(), '', 'git status: a clean work tree, no type changes');

        await waitFor(() => (hydrations(log).get('big.bin') ?? 0) >= 1, 'the log lines', 10_000);
        const twice = [...hydrations(log)].filter(([, n]) => n > 1);
        assert.deepEqual(twice, [], 'no file fetched twice');
        await stopRun(run);
      } finally {
        run.kill('SIGKILL');
        rmSync(out, { recursive: true, force: true });
      }
    });

    it('an open that overwrites fetches nothing; an edit in place is fetched, then uploaded with the old content versioned', async () => {
      const p = await world.pair('writes');
      await writeTree(p.server, { 'over.txt': 'old content of over\n', 'edit.txt': 'abcdefghij\n' });
      await setMtime(p.server, 'over.txt', BASE);
      await setMtime(p.server, 'edit.txt', BASE);
      const log = join(remote.base, 'fp-writes.log');
      const run = runFiles(p, log);
      try {
        await waitFilePlaceholder(p, 'over.txt');
        await waitFilePlaceholder(p, 'edit.txt');
        const over = await runProgram('sh', [
          '-c',
          `printf 'brand new\\n' > "$1"`,
          'sh',
          join(p.local, 'over.txt'),
        ]);
        assert.equal(over.code, 0, over.stderr);
        const edit = await runProgram('python3', [
          '-c',
          'import sys\nf=open(sys.argv[1],"r+b")\nf.seek(2)\nf.write(b"XY")\nf.close()',
          join(p.local, 'edit.txt'),
        ]);
        assert.equal(edit.code, 0, edit.stderr);
        assert.equal(
          await readFile(join(p.local, 'edit.txt'), 'utf8'),
          'abXYefghij\n',
          'an edit of the fetched file',
        );
        await waitFor(
          async () =>
            (await readFile(join(p.server, 'over.txt'), 'utf8')) === 'brand new\n' &&
            (await readFile(join(p.server, 'edit.txt'), 'utf8')) === 'abXYefghij\n',
          'both edits uploaded',
          60_000,
        );
        assert.equal(hydrations(log).get('over.txt'), undefined, 'the overwritten file was not fetched');
        assert.equal(hydrations(log).get('edit.txt'), 1, 'the edited file was fetched once');
        const versions = await listVersions(p.server);
        const texts = versions
          .map((v) => readFileSync(join(p.server, '.lazysync/versions', v), 'utf8'))
          .sort();
        assert.deepEqual(texts, ['abcdefghij\n', 'old content of over\n'], 'the old contents are versions');
        await stopRun(run);
      } finally {
        run.kill('SIGKILL');
      }
    });

    it('kill -9 of the daemon with a reader waiting: the reader gets EIO, never zeros; so do later reads until it runs again', async () => {
      const p = await world.pair('killed');
      const big = randomBytes(24 << 20);
      await writeTree(p.server, { 'big.bin': big, 'small.txt': 'small\n' });
      const log = join(remote.base, 'fp-killed.log');
      // A slow fetch (1 MiB/s), so the reader is still waiting when the daemon dies.
      const run = runFiles(p, log, ['--bwlimit', '1M']);
      await waitFilePlaceholder(p, 'big.bin');
      await waitFilePlaceholder(p, 'small.txt');
      const reader = runProgram('sha256sum', [join(p.local, 'big.bin')]);
      // The fetch's verified copy is being written beside it: the reader is waiting on it now.
      await waitFor(
        () => {
          const stage = join(p.local, '.lazysync', 'fill');
          return existsSync(stage) && readdirSync(stage).some((n) => n.startsWith('.lazysync-tmp-'));
        },
        'the fetch of big.bin to start',
        30_000,
      );
      run.kill('SIGKILL');
      const got = await reader;
      assert.notEqual(got.code, 0, `the reader must fail, got: ${got.stdout.toString()}`);
      assert.match(got.stderr, /Input\/output error/, 'EIO');
      const later = await runProgram('cat', [join(p.local, 'small.txt')]);
      assert.notEqual(later.code, 0, 'no daemon: no read');
      assert.match(later.stderr, /Input\/output error/);
      assert.equal(placeholderAttr(join(p.local, 'big.bin')) !== undefined, true, 'still a placeholder');
      assert.equal((await lstat(join(p.local, 'big.bin'))).blocks, 0, 'no zeros were written into it');

      const again = runFiles(p, join(remote.base, 'fp-killed-2.log'));
      try {
        await waitFor(
          async () => (await runProgram('cat', [join(p.local, 'small.txt')])).code === 0,
          'reads to work again',
          60_000,
        );
        assert.equal(await readFile(join(p.local, 'small.txt'), 'utf8'), 'small\n');
        const sum = await runProgram('sha256sum', [join(p.local, 'big.bin')]);
        assert.equal(sum.code, 0, sum.stderr);
        await assertHydrated(p, 'big.bin', big);
        await stopRun(again);
      } finally {
        again.kill('SIGKILL');
      }
    });

    it('a placeholder written while nothing watched it (no supervisor, as after a reboot) becomes an ordinary file: uploaded, the remote kept as a version', async () => {
      const p = await world.pair('unwatched');
      await writeTree(p.server, { 'w.txt': 'remote words\n', 'quiet.txt': 'untouched\n' });
      const first = runFiles(p, join(remote.base, 'fp-unwatched-1.log'));
      try {
        await waitFilePlaceholder(p, 'w.txt');
        await waitFilePlaceholder(p, 'quiet.txt');
        await stopRun(first);
      } finally {
        first.kill('SIGKILL');
      }
      assert.equal(
        await stopSupervisor(Buffer.from(p.local).toString('latin1'), {
          runtimeDir: world.env.LAZYSYNC_RUNTIME_DIR,
        }),
        true,
      );
      // Nothing watches now: a program writes into the placeholder in place (what it skips reads as zeros).
      const w = await runProgram('python3', [
        '-c',
        'import sys\nf=open(sys.argv[1],"r+b")\nf.write(b"LOCAL")\nf.close()',
        join(p.local, 'w.txt'),
      ]);
      assert.equal(w.code, 0, w.stderr);
      const run = runFiles(p, join(remote.base, 'fp-unwatched-2.log'));
      try {
        await waitFor(
          async () => (await readFile(join(p.server, 'w.txt'))).subarray(0, 5).toString() === 'LOCAL',
          'the written file uploaded',
          60_000,
        );
        assert.deepEqual(
          await versionTexts(p.server, 'w.txt'),
          ['remote words\n'],
          'the remote content is a version',
        );
        assert.equal(placeholderAttr(join(p.local, 'w.txt')), undefined, 'no longer a placeholder');
        await assertFilePlaceholder(p, 'quiet.txt');
        assert.equal(
          (await runProgram('cat', [join(p.local, 'quiet.txt')])).stdout.toString(),
          'untouched\n',
        );
        await stopRun(run);
      } finally {
        run.kill('SIGKILL');
      }
    });

    it('a program on the --no-fetch-by list (a desktop indexer by default) is refused; the placeholder stays', async () => {
      const p = await world.pair('indexer');
      await writeTree(p.server, { 'photo.jpg': randomBytes(4000) });
      const bin = mkdtempSync(join(tmpdir(), 'lazysync-idx-'));
      const indexer = join(bin, 'tracker-miner-fs-3');
      copyFileSync('/bin/cat', indexer);
      const log = join(remote.base, 'fp-indexer.log');
      const run = runFiles(p, log);
      try {
        await waitFilePlaceholder(p, 'photo.jpg');
        await runProgram('chmod', ['755', indexer]);
        const r = await runProgram(indexer, [join(p.local, 'photo.jpg')]);
        assert.notEqual(r.code, 0);
        assert.match(r.stderr, /Operation not permitted/);
        await assertFilePlaceholder(p, 'photo.jpg');
        assert.equal(hydrations(log).size, 0);
        await stopRun(run);
      } finally {
        run.kill('SIGKILL');
        rmSync(bin, { recursive: true, force: true });
      }
    });

    it('--cache-max frees the least recently used copy back into a placeholder (blocks released); a remote edit shows the new size', async () => {
      const p = await world.pair('cache');
      await writeTree(p.server, {
        'a.bin': randomBytes(300_000),
        'b.bin': randomBytes(300_000),
        'c.txt': 'one\n',
      });
      const log = join(remote.base, 'fp-cache.log');
      const run = runFiles(p, log, ['--cache-max', '400K', '--interval', '1']);
      try {
        await waitFilePlaceholder(p, 'a.bin');
        await waitFilePlaceholder(p, 'b.bin');
        await waitFilePlaceholder(p, 'c.txt');
        assert.equal((await runProgram('cat', [join(p.local, 'a.bin')])).code, 0);
        assert.equal((await runProgram('cat', [join(p.local, 'b.bin')])).code, 0);
        // Two copies of 300 KB are over 400K: the one opened first goes back to a placeholder.
        await waitFor(
          async () => placeholderAttr(join(p.local, 'a.bin')) !== undefined,
          'a.bin to be freed',
          30_000,
        );
        await assertFilePlaceholder(p, 'a.bin');
        assert.equal(placeholderAttr(join(p.local, 'b.bin')), undefined, 'b.bin is still a copy');
        // And it can be fetched again.
        assert.equal((await runProgram('cat', [join(p.local, 'a.bin')])).code, 0);

        await writeTree(p.server, { 'c.txt': 'one and two\n' });
        await waitFor(
          async () => (await lstat(join(p.local, 'c.txt'))).size === 12,
          'the placeholder to show the new size',
          60_000,
        );
        await assertFilePlaceholder(p, 'c.txt');
        assert.equal((await runProgram('cat', [join(p.local, 'c.txt')])).stdout.toString(), 'one and two\n');
        await stopRun(run);
      } finally {
        run.kill('SIGKILL');
      }
    });
  },
);
