// Safety promises of docs/design.md through the CLI: idempotent passes, restarts, kill -9, an unavailable remote,
// --dry-run, the mass-delete guard, the pair lock and the not-a-mount warning.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { lstat, readFile, readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import {
  describeOutput,
  describeResult,
  entryAt,
  exists,
  findNamed,
  identities,
  killAllCli,
  listVersions,
  newPair,
  nowSec,
  planLines,
  readSpec,
  readTree,
  remove,
  runCli,
  setMtime,
  spawnCli,
  startRemote,
  sync,
  syncEager,
  syncRaw,
  versionTexts,
  waitFor,
  writeFileAt,
  writeTree,
  type Pair,
  type Remote,
} from '../fixture/index.js';

const T = nowSec();
const BASE = T - 7200;
const EARLIER = T - 600;
const LATER = T - 300;

const NOT_MOUNTED = /may not be mounted|not a mount ?point|not mounted/i;
const UNAVAILABLE = /remote unavailable/i;

function countMatches(text: string, re: RegExp): number {
  return text.match(new RegExp(re.source, 'gi'))?.length ?? 0;
}

/** Files with final names directly in `dir`, and whether a temporary (a copy in flight) is there too. */
async function progress(dir: string): Promise<{ final: number; inFlight: boolean }> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch {
    return { final: 0, inFlight: false };
  }
  const temps = names.filter((n) => n.startsWith('.lazysync-tmp-')).length;
  return { final: names.length - temps, inFlight: temps > 0 };
}

async function seedFromRemote(p: Pair, spec: Record<string, string>): Promise<void> {
  await writeTree(p.server, spec);
  for (const rel of Object.keys(spec)) await setMtime(p.server, rel, BASE);
  await syncEager(p);
  assert.deepEqual(await readSpec(p.local), await readSpec(p.server));
}

/** A fresh remote for one test (for tests that unmount or kill it), always stopped. */
async function withRemote(fn: (remote: Remote) => Promise<void>): Promise<void> {
  const remote = await startRemote();
  try {
    await fn(remote);
  } finally {
    await killAllCli();
    await remote.stop();
  }
}

describe('safety', { timeout: 600_000 }, () => {
  let remote: Remote;
  before(async () => {
    remote = await startRemote();
  });
  after(async () => {
    await killAllCli();
    await remote.stop();
  });

  it('a second pass with no changes copies nothing, touches nothing and writes no versions (eager)', async () => {
    const p = await newPair(remote, 'no-change-eager');
    await writeTree(p.server, { 'a.txt': 'a', 'dir/b.txt': 'b', ln: { symlink: 'a.txt' } });
    await writeTree(p.local, { 'up.txt': 'uploaded', 'ldir/c.txt': 'c' });
    await syncEager(p);
    const local = await identities(p.local);
    const server = await identities(p.server);
    const versions = [await listVersions(p.local), await listVersions(p.server)];
    assert.ok(local.has('a.txt') && local.has('up.txt') && server.has('up.txt'), 'the first pass synced');
    await syncEager(p);
    assert.deepEqual(
      await identities(p.local),
      local,
      'local entries were rewritten (inode, mtime or ctime changed)',
    );
    assert.deepEqual(await identities(p.server), server, 'remote entries were rewritten');
    assert.deepEqual([await listVersions(p.local), await listVersions(p.server)], versions);
    assert.deepEqual(planLines(await syncEager(p, '--dry-run')), [], 'a settled pair plans nothing');
  });

  it('a second lazy pass with no changes leaves the placeholders alone', async () => {
    const p = await newPair(remote, 'no-change-lazy');
    await writeTree(p.server, { 'a.txt': 'a', 'dir/b.txt': 'b' });
    await sync(p);
    assert.ok((await lstat(join(p.local, 'a.txt'))).isSymbolicLink(), 'a placeholder was made');
    const local = await identities(p.local);
    await sync(p);
    assert.deepEqual(await identities(p.local), local);
    assert.deepEqual(await listVersions(p.local), []);
    assert.deepEqual(await listVersions(p.server), []);
    assert.deepEqual(planLines(await sync(p, '--dry-run')), []);
  });

  it('a restart (a new process) neither resurrects deleted files nor copies unchanged ones again', async () => {
    const p = await newPair(remote, 'restart');
    await seedFromRemote(p, { 'a.txt': 'a', 'b.txt': 'b', 'c.txt': 'c', 'd/e.txt': 'e' });
    const inoC = (await lstat(join(p.local, 'c.txt'))).ino;
    const inoE = (await lstat(join(p.local, 'd/e.txt'))).ino;
    await remove(p.local, 'a.txt');
    await remove(p.server, 'b.txt');
    await syncEager(p);
    const expected = { 'c.txt': 'c', d: { dir: true }, 'd/e.txt': 'e' };
    assert.deepEqual(await readSpec(p.local), expected);
    assert.deepEqual(await readSpec(p.server), expected);
    assert.deepEqual(await versionTexts(p.server, 'a.txt'), ['a']);
    assert.deepEqual(await versionTexts(p.local, 'b.txt'), ['b']);

    // The long-running form restarted: it must know the archive too.
    const run = spawnCli(['run', '-r', p.remote, '-l', p.local, '-L', 'n', '--interval', '1']);
    try {
      await writeTree(p.server, { 'marker.txt': 'the run did a pass' });
      await waitFor(
        async () => (await entryAt(p.local, 'marker.txt'))?.kind === 'file',
        'run to sync marker.txt',
      );
      assert.deepEqual(await run.stop('SIGTERM'), { code: 0, signal: null }, describeOutput(run.output()));
    } finally {
      run.kill('SIGKILL');
    }
    await syncEager(p);
    const expected2 = { ...expected, 'marker.txt': 'the run did a pass' };
    assert.deepEqual(await readSpec(p.local), expected2);
    assert.deepEqual(await readSpec(p.server), expected2);
    assert.equal((await lstat(join(p.local, 'c.txt'))).ino, inoC, 'c.txt was copied again');
    assert.equal((await lstat(join(p.local, 'd/e.txt'))).ino, inoE, 'd/e.txt was copied again');
  });

  it('kill -9 in the middle of an eager sync of 300 files, then a new sync converges with nothing lost', async () => {
    const p = await newPair(remote, 'kill9');
    const N = 300;
    const files: Record<string, Buffer> = {};
    for (let i = 0; i < N; i++) {
      files[`many/f${String(i).padStart(3, '0')}.bin`] = Buffer.concat([
        Buffer.from(`file ${i}\n`),
        randomBytes(256 * 1024),
      ]);
    }
    await writeTree(p.server, files);
    const dir = join(p.local, 'many');
    await p.caughtUp?.();

    const child = spawnCli(['sync', '-r', p.remote, '-l', p.local, '-L', 'n']);
    // Kill while a copy is in flight (a temp file is there) once some files have arrived; if no temp file is
    // ever seen (the copies are too quick to catch), kill after 20 files anyway.
    await waitFor(
      async () => {
        if (child.exitCode !== null) {
          throw new Error(
            `sync exited (${child.exitCode}) before it could be interrupted\n${describeOutput(child.output())}`,
          );
        }
        const { final, inFlight } = await progress(dir);
        return final > 0 && (inFlight || final >= 20);
      },
      'the sync to be part way through the downloads',
      60_000,
      5,
    );
    child.kill('SIGKILL');
    const exit = await child.exited;
    assert.equal(exit.signal, 'SIGKILL', 'the sync was killed, not finished');
    assert.ok(
      (await progress(dir)).final < N,
      'the kill came after the last download: nothing was interrupted',
    );

    await syncEager(p);
    const names = (await readdir(dir)).sort();
    assert.deepEqual(
      names,
      Object.keys(files).map((k) => k.slice('many/'.length)),
    );
    for (const [rel, content] of Object.entries(files)) {
      assert.ok((await readFile(join(p.local, rel))).equals(content), `local ${rel} has the wrong content`);
      assert.ok((await readFile(join(p.server, rel))).equals(content), `remote ${rel} was changed`);
    }
    assert.deepEqual(await findNamed(p.local, '.lazysync-tmp-'), [], 'temporary files left locally');
    assert.deepEqual(await findNamed(p.server, '.lazysync-tmp-'), [], 'temporary files left on the remote');
    assert.deepEqual(await listVersions(p.server), []);
    assert.deepEqual(planLines(await syncEager(p, '--dry-run')), [], 'converged: nothing left to do');
  });

  describe('--dry-run', () => {
    it('on a first sync prints the plan and creates nothing: no local folder, no markers, no state', async () => {
      const p = await newPair(remote, 'dry-first');
      await writeTree(p.server, { 'a.txt': 'a', 'dir/b.txt': 'b', ln: { symlink: 'a.txt' } });
      const before = await readTree(p.server);
      const eager = await syncEager(p, '--dry-run');
      const plan = planLines(eager);
      for (const line of [
        'download a.txt',
        'mkdir:local dir',
        'download dir/b.txt',
        'symlink:local ln -> a.txt',
      ]) {
        assert.ok(plan.includes(line), `plan lacks "${line}":\n${describeResult(eager)}`);
      }
      const lazy = await sync(p, '--dry-run');
      assert.ok(
        planLines(lazy).includes('placeholder a.txt'),
        `lazy plan lacks "placeholder a.txt":\n${describeResult(lazy)}`,
      );
      assert.equal(await exists(p.local), false, 'the local folder was created');
      assert.deepEqual(
        await readTree(p.server),
        before,
        'the remote changed (e.g. a .lazysync marker appeared)',
      );
    });

    it('with an existing local folder plans uploads and creates no .lazysync on either side', async () => {
      const p = await newPair(remote, 'dry-upload');
      await writeTree(p.local, { 'up.txt': 'up', 'ldir/c.txt': 'c', lln: { symlink: 'up.txt' } });
      const localBefore = await readTree(p.local);
      const localIds = await identities(p.local, {});
      const r = await syncEager(p, '--dry-run');
      const plan = planLines(r);
      for (const line of [
        'upload up.txt',
        'mkdir:remote ldir',
        'upload ldir/c.txt',
        'symlink:remote lln -> up.txt',
      ]) {
        assert.ok(plan.includes(line), `plan lacks "${line}":\n${describeResult(r)}`);
      }
      assert.deepEqual(await readTree(p.local), localBefore);
      assert.deepEqual(await identities(p.local, {}), localIds);
      assert.equal(await exists(p.local, '.lazysync'), false, 'no state folder, so no state.db');
      assert.deepEqual(await readTree(p.server), new Map(), 'the remote folder stays empty');
    });

    it('after a sync prints every kind of action and changes nothing; a real pass then applies it', async () => {
      const p = await newPair(remote, 'dry-later');
      await seedFromRemote(p, { 'a.txt': 'a', 'dir/b.txt': 'b', 'c.txt': 'base' });
      await writeTree(p.server, { 'new.txt': 'new remote' });
      await writeTree(p.local, {
        'lnew.txt': 'new local',
        ldir: { dir: true },
        lln: { symlink: 'lnew.txt' },
      });
      await remove(p.local, 'a.txt');
      await remove(p.server, 'dir/b.txt');
      await writeFileAt(p.local, 'c.txt', 'local edit', EARLIER);
      await writeFileAt(p.server, 'c.txt', 'remote edit!', LATER);

      const local = [
        await readTree(p.local, { skipLazysync: true }),
        await identities(p.local),
        await listVersions(p.local),
      ];
      const server = [await readTree(p.server), await identities(p.server, {})];
      const r = await syncEager(p, '--dry-run');
      const plan = planLines(r);
      const expected = [
        'download new.txt',
        'upload lnew.txt',
        'mkdir:remote ldir',
        'symlink:remote lln -> lnew.txt',
        'remove:remote a.txt',
        'remove:local dir/b.txt',
        'conflict c.txt (newer: remote)',
      ];
      for (const line of expected)
        assert.ok(plan.includes(line), `plan lacks "${line}":\n${describeResult(r)}`);
      assert.deepEqual(
        [
          await readTree(p.local, { skipLazysync: true }),
          await identities(p.local),
          await listVersions(p.local),
        ],
        local,
        'the local side changed',
      );
      assert.deepEqual(
        [await readTree(p.server), await identities(p.server, {})],
        server,
        'the remote side changed',
      );

      await syncEager(p);
      for (const side of [p.local, p.server]) {
        const spec = await readSpec(side);
        assert.equal(spec['new.txt'], 'new remote', side);
        assert.equal(spec['lnew.txt'], 'new local', side);
        assert.equal(spec['a.txt'], undefined, side);
        assert.equal(spec['dir/b.txt'], undefined, side);
        assert.equal(spec['c.txt'], 'remote edit!', side);
      }
    });
  });

  describe('mass-delete guard', () => {
    const ten = Object.fromEntries(Array.from({ length: 10 }, (_, i) => [`f${i}.txt`, `content ${i}`]));

    it('remote deletions of more than half and more than 5 files stop the pass until --confirm-deletes', async () => {
      const p = await newPair(remote, 'mass-remote');
      await seedFromRemote(p, ten);
      for (let i = 0; i < 6; i++) await remove(p.server, `f${i}.txt`);
      const r = await syncRaw(p, ['-L', 'n']);
      assert.equal(r.code, 1, describeResult(r));
      assert.match(`${r.stdout}\n${r.stderr}`, /--confirm-deletes/);
      assert.deepEqual(await readSpec(p.local), ten, 'nothing was deleted locally');
      assert.deepEqual(await listVersions(p.local), []);

      await syncEager(p, '--confirm-deletes');
      assert.deepEqual(Object.keys(await readSpec(p.local)).sort(), ['f6.txt', 'f7.txt', 'f8.txt', 'f9.txt']);
      assert.deepEqual(await versionTexts(p.local, 'f0.txt'), ['content 0']);
      assert.equal((await listVersions(p.local)).length, 6);
    });

    it('local deletions are guarded the same way', async () => {
      const p = await newPair(remote, 'mass-local');
      await seedFromRemote(p, ten);
      for (let i = 0; i < 8; i++) await remove(p.local, `f${i}.txt`);
      const r = await syncRaw(p, ['-L', 'n']);
      assert.equal(r.code, 1, describeResult(r));
      assert.match(`${r.stdout}\n${r.stderr}`, /--confirm-deletes/);
      assert.deepEqual(await readSpec(p.server), ten, 'nothing was deleted on the remote');
      assert.deepEqual(await listVersions(p.server), []);

      await syncEager(p, '--confirm-deletes');
      assert.deepEqual(Object.keys(await readSpec(p.server)).sort(), ['f8.txt', 'f9.txt']);
      assert.equal((await listVersions(p.server)).length, 8);
    });

    it('--max-delete raises the share; 5 files or fewer never need confirmation', async () => {
      const p = await newPair(remote, 'mass-limits');
      await seedFromRemote(p, ten);
      for (let i = 0; i < 8; i++) await remove(p.server, `f${i}.txt`);
      await syncEager(p, '--max-delete', '90'); // 80% of 10 is within 90%
      assert.deepEqual(Object.keys(await readSpec(p.local)).sort(), ['f8.txt', 'f9.txt']);

      const q = await newPair(remote, 'mass-few');
      const six = Object.fromEntries(Array.from({ length: 6 }, (_, i) => [`g${i}.txt`, `g ${i}`]));
      await seedFromRemote(q, six);
      for (let i = 0; i < 5; i++) await remove(q.local, `g${i}.txt`);
      await syncEager(q); // 83% but only 5 files
      assert.deepEqual(Object.keys(await readSpec(q.server)), ['g5.txt']);
    });
  });

  it('a second run on the same local folder exits non-zero with "already running"; the first goes on', async () => {
    const p = await newPair(remote, 'lock');
    await writeTree(p.server, { 'f.txt': 'f' });
    const args = ['run', '-r', p.remote, '-l', p.local, '-L', 'n', '--interval', '1'];
    const first = spawnCli(args);
    try {
      await waitFor(
        async () => (await entryAt(p.local, 'f.txt'))?.kind === 'file',
        'the first run to sync f.txt',
      );
      const second = await runCli(args, { timeoutMs: 30_000 });
      assert.notEqual(second.code, 0, describeResult(second));
      assert.match(`${second.stdout}\n${second.stderr}`, /already running/i);
      await writeTree(p.server, { 'g.txt': 'after the second run was refused' });
      await waitFor(
        async () => (await entryAt(p.local, 'g.txt'))?.kind === 'file',
        'the first run to keep syncing',
      );
      assert.deepEqual(
        await first.stop('SIGTERM'),
        { code: 0, signal: null },
        describeOutput(first.output()),
      );
    } finally {
      first.kill('SIGKILL');
    }
  });

  it('a remote that is a plain folder (not a mount point) syncs, with a warning that it may not be mounted', async () => {
    const R = join(remote.base, 'plain-remote');
    const L = join(remote.base, 'plain-local');
    await writeTree(R, { 'p.txt': 'plain' });
    const r = await runCli(['sync', '-r', R, '-l', L, '-L', 'n']);
    assert.equal(r.code, 0, describeResult(r));
    assert.deepEqual(await readSpec(L), { 'p.txt': 'plain' });
    assert.match(r.stderr, NOT_MOUNTED);
  });

  it('a missing marker R/.lazysync makes sync stop with "remote unavailable" and delete nothing', async () => {
    const p = await newPair(remote, 'no-marker');
    await seedFromRemote(p, { 'a.txt': 'a', 'd/b.txt': 'b' });
    assert.ok(await exists(p.server, '.lazysync'), 'the first sync writes the marker');
    await rm(join(p.server, '.lazysync'), { recursive: true });
    const r = await syncRaw(p, ['-L', 'n']);
    assert.equal(r.code, 1, describeResult(r));
    assert.match(`${r.stdout}\n${r.stderr}`, UNAVAILABLE);
    assert.deepEqual(await readSpec(p.local), { 'a.txt': 'a', d: { dir: true }, 'd/b.txt': 'b' });
    assert.deepEqual(await listVersions(p.local), []);
    assert.deepEqual(await readSpec(p.server), { 'a.txt': 'a', d: { dir: true }, 'd/b.txt': 'b' });
    assert.equal(await exists(p.server, '.lazysync'), false, 'the marker must not be recreated silently');
  });
});

describe('an unavailable remote pauses, never deletes', { timeout: 600_000 }, () => {
  for (const mode of ['eager', 'lazy'] as const) {
    it(`${mode}: sync after an unmount exits 1 with "remote unavailable", deletes nothing, writes nothing into R`, async () => {
      await withRemote(async (remote) => {
        const p = await newPair(remote, 'root', { root: true });
        const flags = mode === 'eager' ? ['-L', 'n'] : [];
        await writeTree(p.server, { 'a.txt': 'a', 'd/b.txt': 'b' });
        const first = await sync(p, ...flags);
        assert.doesNotMatch(first.stderr, NOT_MOUNTED, 'R is the mount point: no warning');
        const localBefore = await readTree(p.local, { skipLazysync: true });

        await remote.unmount();
        const r = await syncRaw(p, flags);
        assert.equal(r.code, 1, describeResult(r));
        assert.match(`${r.stdout}\n${r.stderr}`, UNAVAILABLE);
        assert.deepEqual(
          await readTree(p.local, { skipLazysync: true }),
          localBefore,
          'the local side changed',
        );
        assert.deepEqual(await listVersions(p.local), []);
        assert.deepEqual(
          await readdir(remote.mountDir),
          [],
          'something was written into the bare mount point',
        );

        await remote.mount();
        await sync(p, ...flags);
        assert.deepEqual(await readTree(p.local, { skipLazysync: true }), localBefore);
        assert.deepEqual(await readSpec(p.server), { 'a.txt': 'a', d: { dir: true }, 'd/b.txt': 'b' });
      });
    });
  }

  it('a dead mount (sshfs gone, ENOTCONN) makes sync exit 1 with "remote unavailable" and delete nothing', async () => {
    await withRemote(async (remote) => {
      const p = await newPair(remote, 'root', { root: true });
      await writeTree(p.server, { 'a.txt': 'a', 'd/b.txt': 'b' });
      await syncEager(p);
      await remote.killSshfs();
      const r = await syncRaw(p, ['-L', 'n']);
      assert.equal(r.code, 1, describeResult(r));
      assert.match(`${r.stdout}\n${r.stderr}`, UNAVAILABLE);
      assert.deepEqual(await readSpec(p.local), { 'a.txt': 'a', d: { dir: true }, 'd/b.txt': 'b' });
      assert.deepEqual(await listVersions(p.local), []);
    });
  });

  it('R below the mount point, gone after an unmount: sync fails and deletes nothing', async () => {
    await withRemote(async (remote) => {
      const p = await newPair(remote, 'sub');
      await seedFromRemote(p, { 'a.txt': 'a' });
      await remote.unmount();
      const r = await syncRaw(p, ['-L', 'n']);
      assert.notEqual(r.code, 0, describeResult(r));
      assert.deepEqual(await readSpec(p.local), { 'a.txt': 'a' });
      assert.deepEqual(await listVersions(p.local), []);
      assert.deepEqual(await readdir(remote.mountDir), [], 'R was recreated in the bare mount point');
    });
  });

  it('run keeps everything while the remote is unmounted and resumes by itself after the remount', async () => {
    await withRemote(async (remote) => {
      const p = await newPair(remote, 'root', { root: true });
      await writeTree(p.server, { 'a.txt': 'a', 'd/b.txt': 'b' });
      const run = spawnCli(['run', '-r', p.remote, '-l', p.local, '-L', 'n', '--interval', '1']);
      try {
        await waitFor(async () => (await entryAt(p.local, 'd/b.txt'))?.kind === 'file', 'the first pass');
        await waitFor(() => exists(p.server, '.lazysync'), 'the remote marker');
        const before = countMatches(run.text(), UNAVAILABLE);

        await remote.unmount();
        await waitFor(
          () => countMatches(run.text(), UNAVAILABLE) > before,
          'run to report "remote unavailable"',
        );
        assert.equal(run.exitCode, null, 'run must keep running while the remote is away');
        assert.deepEqual(await readSpec(p.local), { 'a.txt': 'a', d: { dir: true }, 'd/b.txt': 'b' });
        assert.deepEqual(await listVersions(p.local), []);
        assert.deepEqual(
          await readdir(remote.mountDir),
          [],
          'something was written into the bare mount point',
        );

        await writeTree(p.server, { 'new.txt': 'arrived after the remount' });
        await remote.mount();
        await waitFor(
          async () => (await entryAt(p.local, 'new.txt'))?.kind === 'file',
          'run to resume and sync new.txt',
        );
        assert.deepEqual(await readSpec(p.local), {
          'a.txt': 'a',
          d: { dir: true },
          'd/b.txt': 'b',
          'new.txt': 'arrived after the remount',
        });
        assert.deepEqual(await readSpec(p.server), await readSpec(p.local));
        assert.deepEqual(await run.stop('SIGTERM'), { code: 0, signal: null }, describeOutput(run.output()));
      } finally {
        run.kill('SIGKILL');
      }
    });
  });
});
