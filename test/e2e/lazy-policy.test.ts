// Lazy mode policies and what follows a hydration: --pin, --cache-max eviction (LRU, never edited, open or
// pinned copies), local edits uploaded promptly, remote changes dehydrating, writes through a placeholder.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { appendFile, chmod, link, lstat, open, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import {
  describeOutput,
  killAllCli,
  listVersions,
  newPair,
  nowSec,
  planLines,
  setMtime,
  startRemote,
  sync,
  versionTexts,
  versionsOf,
  waitFor,
  walk,
  writeFileAt,
  writeTree,
  type CliProcess,
  type Pair,
  type Remote,
} from '../fixture/index.js';
import { describeLocal, isPlaceholder } from '../fixture/daemon.js';
import { assertRunning, isRegular, logLines, startRun, stopRun, type LogLine } from '../fixture/run.js';

const T = nowSec();
const BASE = T - 7200;
const LATER = T - 300;
const KIB = 1024;

function linesStarting(file: string, prefix: string): LogLine[] {
  return logLines(file).filter((l) => typeof l.msg === 'string' && l.msg.startsWith(prefix));
}

const hydratedPaths = (log: string): string[] => linesStarting(log, 'hydrated ').map((l) => String(l.path));
const freedPaths = (log: string): string[] => linesStarting(log, 'freed ').map((l) => String(l.path));

/** A regular local file (not a placeholder) with exactly this content. */
async function isLocalCopy(p: Pair, rel: string, content: string | Buffer): Promise<boolean> {
  if (!(await isRegular(p, rel))) return false;
  try {
    return (await readFile(join(p.local, rel))).equals(Buffer.from(content));
  } catch {
    return false;
  }
}

async function waitState(
  run: CliProcess,
  cond: () => Promise<boolean> | boolean,
  what: string,
  timeoutMs = 30_000,
): Promise<void> {
  try {
    await waitFor(
      async () => {
        assertRunning(run);
        return cond();
      },
      what,
      timeoutMs,
    );
  } catch (e) {
    throw new Error(`${(e as Error).message}\n${describeOutput(run.output())}`, { cause: e });
  }
}

async function allPlaceholders(p: Pair, rels: string[]): Promise<boolean> {
  for (const rel of rels) if (!(await isPlaceholder(p, rel))) return false;
  return true;
}

/** `cat FILE`: one short open through whatever FILE is, returning what it read. */
function cat(file: string): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    execFile('cat', [file], { encoding: 'buffer', maxBuffer: 64 << 20 }, (err, stdout) =>
      err ? reject(err) : resolve(stdout),
    );
  });
}

/** Regular files under L (not .lazysync): rel -> size. */
async function localCopies(p: Pair): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  for (const [rel, st] of await walk(p.local, { skipLazysync: true })) if (st.isFile()) out.set(rel, st.size);
  return out;
}

/** Every path on either side whose name carries a conflict mark. */
async function conflictNames(p: Pair): Promise<string[]> {
  const out: string[] = [];
  for (const [side, root] of [
    ['local', p.local],
    ['remote', p.server],
  ] as const) {
    for (const rel of (await walk(root)).keys()) if (rel.includes('.conflict-')) out.push(`${side}: ${rel}`);
  }
  return out;
}

/**
 * Polls `check` every 10 ms until stopped; collects what it reports (a violation, or undefined for none).
 * Returns a stopper that resolves to the violations seen.
 */
function watchInvariant(check: () => Promise<string | undefined>): () => Promise<string[]> {
  let stopped = false;
  const seen: string[] = [];
  const loop = (async () => {
    while (!stopped) {
      const v = await check();
      if (v !== undefined && seen.length < 20) seen.push(v);
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  })();
  return async () => {
    stopped = true;
    await loop;
    return seen;
  };
}

/**
 * `rel` is still the same regular local file: same inode and size, checked with lstat only. Reading it would
 * open it, and opens of local copies count as uses for --cache-max: a monitor must not change what it watches.
 */
async function sameLocalFile(p: Pair, rel: string, ino: number, size: number): Promise<string | undefined> {
  const st = await lstat(join(p.local, rel)).catch(() => undefined);
  if (st === undefined) return `${rel} is gone`;
  if (!st.isFile()) return `${rel} is no longer a regular file (freed?)`;
  if (st.ino !== ino || st.size !== size) return `${rel} was replaced (inode ${st.ino}, size ${st.size})`;
  return undefined;
}

describe('lazy mode: policies and life after hydration', { timeout: 900_000 }, () => {
  let remote: Remote;
  before(async () => {
    remote = await startRemote();
  });
  after(async () => {
    await killAllCli();
    await remote.stop();
  });

  it("--pin 'docs/' --pin '*.pdf': matching files are downloaded and downloaded again when the remote changes", async () => {
    const p = await newPair(remote, 'pin');
    const pinned: Record<string, string> = {
      'docs/a.txt': 'a v1',
      'docs/sub/b.txt': 'b in a pinned folder',
      'paper.pdf': 'pdf v1',
      'other/c.pdf': 'a pdf in a subfolder',
      'other/docs/f.txt': 'docs/ matches at any depth',
    };
    const lazy: Record<string, string> = {
      'notes.txt': 'notes v1',
      'other/d.txt': 'd',
      'docsx/e.txt': 'not docs/',
      'pdf.txt': 'not *.pdf',
    };
    await writeTree(p.server, { ...pinned, ...lazy });
    for (const rel of Object.keys({ ...pinned, ...lazy })) await setMtime(p.server, rel, BASE);
    const log = join(remote.base, 'pin.log');
    const run = startRun(p, log, ['--interval', '1', '--pin', 'docs/', '--pin', '*.pdf']);
    try {
      await waitState(
        run,
        async () => {
          for (const [rel, content] of Object.entries(pinned))
            if (!(await isLocalCopy(p, rel, content))) return false;
          return allPlaceholders(p, Object.keys(lazy));
        },
        'pinned files downloaded and the others made placeholders',
      );
      // Nothing was opened: the pinned downloads are the pass's doing, and the others stay placeholders.
      for (const rel of Object.keys(lazy))
        assert.ok(await isPlaceholder(p, rel), `${rel} is not a placeholder`);

      const stopWatching = watchInvariant(async () => {
        for (const rel of ['docs/a.txt', 'paper.pdf']) {
          const st = await lstat(join(p.local, rel)).catch(() => undefined);
          if (st === undefined || !st.isFile())
            return `${rel} was ${st === undefined ? 'missing' : 'a symlink'}`;
        }
        return undefined;
      });
      await writeFileAt(p.server, 'docs/a.txt', 'a version 2 from the server', LATER);
      await writeFileAt(p.server, 'paper.pdf', 'pdf version 2 from the server', LATER);
      await writeFileAt(p.server, 'notes.txt', 'notes version 2', LATER);
      await waitState(
        run,
        async () =>
          (await isLocalCopy(p, 'docs/a.txt', 'a version 2 from the server')) &&
          (await isLocalCopy(p, 'paper.pdf', 'pdf version 2 from the server')),
        'the changed pinned files to be downloaded again',
      );
      assert.deepEqual(await stopWatching(), [], 'a pinned file stopped being a local copy');
      assert.deepEqual(await versionTexts(p.local, 'docs/a.txt'), ['a v1'], 'the old local copy is kept');
      assert.deepEqual(await versionTexts(p.local, 'paper.pdf'), ['pdf v1']);
      assert.ok(await isPlaceholder(p, 'notes.txt'), 'an unpinned placeholder stays one');
      assert.equal(await readFile(join(p.server, 'docs/a.txt'), 'utf8'), 'a version 2 from the server');
      await stopRun(run);
      for (const [rel, content] of Object.entries(pinned)) {
        if (rel === 'docs/a.txt' || rel === 'paper.pdf') continue;
        assert.ok(await isLocalCopy(p, rel, content), `${rel} is no longer a local copy`);
      }
    } finally {
      run.kill('SIGKILL');
    }
  });

  it('--cache-max 300K: the least recently opened clean copies are freed; opens of local copies count', async () => {
    const p = await newPair(remote, 'cache-lru');
    const files: Record<string, Buffer> = {};
    for (let i = 0; i < 10; i++) files[`f${i}.bin`] = randomBytes(100 * KIB);
    const rels = Object.keys(files);
    await writeTree(p.server, files);
    const log = join(remote.base, 'cache-lru.log');
    const run = startRun(p, log, ['--interval', '3600', '--cache-max', '300K']);
    try {
      await waitState(run, () => allPlaceholders(p, rels), 'placeholders for the ten files');
      for (const [i, rel] of rels.entries()) {
        const got = await cat(join(p.local, rel));
        assert.ok(got.equals(files[rel] ?? Buffer.alloc(0)), `cat ${rel}`);
        await waitState(run, () => hydratedPaths(log).includes(rel), `${rel} to be hydrated`);
        // From the fourth on, each hydration is followed by one eviction: wait for it before the next open,
        // so that this test is about which copy goes, not about opens racing an eviction (tested below).
        if (i >= 3) await waitState(run, () => freedPaths(log).length >= i - 2, `eviction ${i - 2}`);
      }
      await waitState(
        run,
        async () => [...(await localCopies(p)).values()].reduce((a, b) => a + b, 0) <= 300 * KIB,
        'the local copies to shrink to --cache-max',
      );
      const kept = await localCopies(p);
      assert.deepEqual(
        [...kept.keys()].sort(),
        ['f7.bin', 'f8.bin', 'f9.bin'],
        'the three most recently opened',
      );
      for (let i = 0; i < 7; i++)
        assert.ok(await isPlaceholder(p, `f${i}.bin`), `f${i}.bin is not a placeholder`);
      await waitState(run, () => freedPaths(log).length >= 7, 'seven "freed" log lines');
      const freed = linesStarting(log, 'freed ');
      assert.deepEqual(
        freed.map((l) => l.path).sort(),
        ['f0.bin', 'f1.bin', 'f2.bin', 'f3.bin', 'f4.bin', 'f5.bin', 'f6.bin'],
        'freed once each, the least recently opened',
      );
      for (const l of freed) assert.equal(l.size, 100 * KIB, `size in ${JSON.stringify(l)}`);
      assert.deepEqual(await listVersions(p.local), [], 'freeing writes no version');
      assert.deepEqual(await listVersions(p.server), []);

      // Opening the local copy f7 makes it more recent than f8: hydrating f0 now frees f8, not f7.
      assert.ok((await cat(join(p.local, 'f7.bin'))).equals(files['f7.bin'] ?? Buffer.alloc(0)));
      assert.ok((await cat(join(p.local, 'f0.bin'))).equals(files['f0.bin'] ?? Buffer.alloc(0)));
      await waitState(
        run,
        () => hydratedPaths(log).filter((r) => r === 'f0.bin').length === 2,
        'f0.bin to be hydrated again',
      );
      await waitState(run, () => freedPaths(log).length >= 8, 'an eighth eviction');
      assert.equal(
        freedPaths(log)[7],
        'f8.bin',
        'f8 is the least recently used now (f7 was opened after it)',
      );
      await waitState(
        run,
        async () => [...(await localCopies(p)).values()].reduce((a, b) => a + b, 0) <= 300 * KIB,
        'the local copies to shrink to --cache-max again',
      );
      assert.deepEqual(
        [...(await localCopies(p)).keys()].sort(),
        ['f0.bin', 'f7.bin', 'f9.bin'],
        'f8 (least recently used) should be freed; f7 was opened as a local copy after it',
      );
      await stopRun(run);
      for (const rel of ['f0.bin', 'f7.bin', 'f9.bin']) {
        assert.ok(await isLocalCopy(p, rel, files[rel] ?? ''), `content of ${rel}`);
      }
    } finally {
      run.kill('SIGKILL');
    }
  });

  it('--cache-max never frees a pinned copy, one held open, or one edited since the last sync', async () => {
    const p = await newPair(remote, 'cache-guard');
    // Sizes chosen so that whether pinned and open copies count toward the limit changes nothing: they are
    // 10 bytes each. Three f2..f5 copies (plus the tiny ones) fit in 300K, four do not. The edited copy f0 is
    // not clean, so it does not count.
    const F = 100 * KIB - 64;
    const files: Record<string, Buffer> = {
      'pinned/p.bin': randomBytes(10),
      'f0.bin': randomBytes(100 * KIB),
      'f1.bin': randomBytes(10),
      'g.bin': randomBytes(1),
    };
    for (let i = 2; i < 6; i++) files[`f${i}.bin`] = randomBytes(F);
    assert.ok(3 * F + 21 <= 300 * KIB && 4 * F > 300 * KIB);
    await writeTree(p.server, files);
    const content = (rel: string): Buffer => files[rel] ?? Buffer.alloc(0);
    const log = join(remote.base, 'cache-guard.log');
    const run = startRun(p, log, ['--interval', '3600', '--cache-max', '300K', '--pin', 'pinned/']);
    const stoppers: (() => Promise<string[]>)[] = [];
    let held: Awaited<ReturnType<typeof open>> | undefined;
    const hydrate = async (rel: string): Promise<void> => {
      assert.ok((await cat(join(p.local, rel))).equals(content(rel)), `cat ${rel}`);
      await waitState(run, () => hydratedPaths(log).includes(rel), `${rel} to be hydrated`);
    };
    try {
      const lazyRels = Object.keys(files).filter((r) => !r.startsWith('pinned/'));
      await waitState(
        run,
        async () =>
          (await isLocalCopy(p, 'pinned/p.bin', content('pinned/p.bin'))) && allPlaceholders(p, lazyRels),
        'the pinned file downloaded, the others placeholders',
      );
      const pinnedIno = (await lstat(join(p.local, 'pinned/p.bin'))).ino;
      const stopPinned = watchInvariant(() => sameLocalFile(p, 'pinned/p.bin', pinnedIno, 10));
      stoppers.push(stopPinned);

      // f1: hydrated, then held open as a local copy; the least recently used lazy copy from here on.
      await hydrate('f1.bin');
      held = await open(join(p.local, 'f1.bin'), 'r');
      assert.equal((await held.stat()).dev, (await stat(p.local)).dev, 'f1.bin is held open as a local copy');
      const f1Ino = (await held.stat()).ino;
      const stopHeld = watchInvariant(() => sameLocalFile(p, 'f1.bin', f1Ino, 10));
      stoppers.push(stopHeld);

      // f0: hydrated, then edited through a hard link outside L, so no kernel event on L announces the edit:
      // only a check of the file itself (size, mtime against the archive) can tell it is no longer clean.
      await hydrate('f0.bin');
      const hard = join(remote.base, 'cache-guard-f0-hardlink');
      await link(join(p.local, 'f0.bin'), hard);
      const edited = Buffer.concat([content('f0.bin'), Buffer.from('\nedited here, not uploaded yet\n')]);
      await appendFile(hard, '\nedited here, not uploaded yet\n');
      const f0Ino = (await lstat(hard)).ino;
      const stopEdited = watchInvariant(async () => {
        const wrong = await sameLocalFile(p, 'f0.bin', f0Ino, edited.length);
        if (wrong === undefined) return undefined;
        // Once the remote has the edit, f0 is clean again and may be freed.
        const up = await readFile(join(p.server, 'f0.bin')).catch(() => Buffer.alloc(0));
        return up.equals(edited) ? undefined : `${wrong}, while edited and not uploaded`;
      });
      stoppers.push(stopEdited);

      for (let i = 2; i < 6; i++) await hydrate(`f${i}.bin`);
      // g (1 byte) brings no copy over the limit, so the eviction after it frees nothing. The eviction that
      // followed f5's hydration may still run alongside g's: wait for what it must do (free f2).
      await hydrate('g.bin');
      await waitState(
        run,
        () => freedPaths(log).includes('f2.bin'),
        'f2.bin (least recently opened) to be freed',
      );
      const lazyKept: string[] = [];
      for (let i = 2; i < 6; i++) if (await isRegular(p, `f${i}.bin`)) lazyKept.push(`f${i}.bin`);
      const freed = freedPaths(log);
      console.log(`cache-guard: kept ${lazyKept.join(' ')}; freed ${freed.join(' ')}`);
      assert.ok(await isRegular(p, 'g.bin'), 'g.bin (opened last, 1 byte) was freed');
      for (const rel of ['pinned/p.bin', 'f0.bin', 'f1.bin'])
        assert.ok(!freed.includes(rel), `${rel} was freed`);
      assert.deepEqual(
        lazyKept,
        ['f3.bin', 'f4.bin', 'f5.bin'],
        `f2 (least recently opened) must go, and only f2: f3..f5 fit in 300K. (Freeing more means the edited f0 counted as a clean copy.) freed: ${freed.join(', ')}`,
      );
      assert.deepEqual(freed, ['f2.bin']);
      assert.deepEqual(await stopHeld(), [], 'the copy held open');
      await held.close();
      held = undefined;

      // A kernel event on f0 itself (a chmod to the same mode: no content change) makes a pass over f0,
      // which finds the edit by comparing the file with the archive, and uploads it. (An edit that makes no
      // event on L at all waits for the next whole pass: --interval.)
      await chmod(join(p.local, 'f0.bin'), (await lstat(join(p.local, 'f0.bin'))).mode & 0o7777);
      await waitState(
        run,
        async () => (await readFile(join(p.server, 'f0.bin')).catch(() => Buffer.alloc(0))).equals(edited),
        'the edit of f0.bin to reach the remote',
      );
      assert.deepEqual(await stopEdited(), [], 'the edited copy');
      assert.ok(
        (await versionsOf(p.server, 'f0.bin')).some((v) => v.content.equals(content('f0.bin'))),
        'the remote content before the edit is a remote version',
      );
      assert.deepEqual(await stopPinned(), [], 'the pinned copy');
      await stopRun(run);
      assert.ok(await isLocalCopy(p, 'pinned/p.bin', content('pinned/p.bin')), 'the pinned copy');
      for (const rel of ['f3.bin', 'f4.bin', 'f5.bin', 'g.bin']) {
        if (await isRegular(p, rel)) assert.ok(await isLocalCopy(p, rel, content(rel)), `content of ${rel}`);
      }
    } finally {
      await held?.close();
      for (const s of stoppers) await s();
      run.kill('SIGKILL');
    }
  });

  it('--cache-max: an open that arrives while an eviction runs is not lost', async () => {
    // Each hydration here is followed by an eviction; the next open is made the moment the "hydrated" line
    // appears, so some of them land while that eviction is still freeing a file.
    const p = await newPair(remote, 'cache-busy');
    const N = 20;
    const files: Record<string, Buffer> = {};
    for (let i = 0; i < N; i++) files[`b${String(i).padStart(2, '0')}.bin`] = randomBytes(64 * KIB);
    const rels = Object.keys(files);
    await writeTree(p.server, files);
    const log = join(remote.base, 'cache-busy.log');
    const run = startRun(p, log, ['--interval', '3600', '--cache-max', '100K']);
    try {
      await waitState(run, () => allPlaceholders(p, rels), 'the placeholders');
      for (const rel of rels) {
        const fh = await open(join(p.local, rel), 'r');
        await fh.close();
        await waitFor(
          () => {
            assertRunning(run);
            return hydratedPaths(log).includes(rel);
          },
          `${rel} to be hydrated (opened right after the previous hydration, during its eviction)`,
          20_000,
          1,
        );
      }
      assert.ok(freedPaths(log).length >= N - 2, `evictions ran: ${freedPaths(log).join(', ')}`);
      await stopRun(run);
    } finally {
      run.kill('SIGKILL');
    }
  });

  it('a local edit of a hydrated file is uploaded within seconds (--interval 3600); the old remote content is a version', async () => {
    const p = await newPair(remote, 'edit-upload');
    await writeTree(p.server, { 'x.txt': 'old remote content' });
    await setMtime(p.server, 'x.txt', BASE);
    const log = join(remote.base, 'edit-upload.log');
    const run = startRun(p, log, ['--interval', '3600']);
    try {
      await waitState(run, () => isPlaceholder(p, 'x.txt'), 'the placeholder');
      assert.equal((await cat(join(p.local, 'x.txt'))).toString(), 'old remote content');
      await waitState(run, () => isLocalCopy(p, 'x.txt', 'old remote content'), 'x.txt to be hydrated');
      const t0 = Date.now();
      await writeFile(join(p.local, 'x.txt'), 'edited locally after the hydration');
      await waitState(
        run,
        async () =>
          (await readFile(join(p.server, 'x.txt'), 'utf8')) === 'edited locally after the hydration',
        'the edit to reach the remote',
        15_000,
      );
      console.log(`local edit uploaded after ${Date.now() - t0} ms`);
      assert.deepEqual(await versionTexts(p.server, 'x.txt'), ['old remote content']);
      assert.ok(await isLocalCopy(p, 'x.txt', 'edited locally after the hydration'));
      assert.deepEqual(await conflictNames(p), []);
      await stopRun(run);
    } finally {
      run.kill('SIGKILL');
    }
  });

  it('a remote change to a clean local copy turns it back into a placeholder; the old copy is a local version', async () => {
    const p = await newPair(remote, 'remote-change');
    await writeTree(p.server, { 'c.txt': 'copy v1', 'other.txt': 'other' });
    await setMtime(p.server, 'c.txt', BASE);
    const log = join(remote.base, 'remote-change.log');
    const run = startRun(p, log, ['--interval', '1']);
    try {
      await waitState(run, () => isPlaceholder(p, 'c.txt'), 'the placeholder');
      await cat(join(p.local, 'c.txt'));
      await waitState(run, () => isLocalCopy(p, 'c.txt', 'copy v1'), 'c.txt to be hydrated');
      await writeFileAt(p.server, 'c.txt', 'copy version 2 from the server', LATER);
      await waitState(run, () => isPlaceholder(p, 'c.txt'), 'c.txt to be a placeholder again');
      assert.deepEqual(await versionTexts(p.local, 'c.txt'), ['copy v1']);
      assert.deepEqual(await listVersions(p.server), []);
      assert.equal(await readFile(join(p.server, 'c.txt'), 'utf8'), 'copy version 2 from the server');
      assert.deepEqual(await conflictNames(p), []);
      await stopRun(run);
      assert.equal(await readFile(join(p.local, 'c.txt'), 'utf8'), 'copy version 2 from the server');
    } finally {
      run.kill('SIGKILL');
    }
  });

  it('a write through a placeholder is recorded as a local change: no conflict, the new content on both sides', async () => {
    const p = await newPair(remote, 'write-through');
    await writeTree(p.server, { 'w.txt': 'original' });
    await setMtime(p.server, 'w.txt', BASE);
    const log = join(remote.base, 'write-through.log');
    const run = startRun(p, log, ['--interval', '1']);
    try {
      await waitState(run, () => isPlaceholder(p, 'w.txt'), 'the placeholder');
      await appendFile(join(p.local, 'w.txt'), ' + appended through the placeholder');
      const expected = 'original + appended through the placeholder';
      assert.equal(await readFile(join(p.server, 'w.txt'), 'utf8'), expected, 'the write went to the remote');
      // Two passes that started after the write: each sees a marker made after it (same folder, scanned later).
      for (const marker of ['zz-marker-1.txt', 'zz-marker-2.txt']) {
        await writeTree(p.server, { [marker]: 'a pass ran' });
        await waitState(run, () => isPlaceholder(p, marker), `a pass to make ${marker}`);
      }
      assert.deepEqual(await conflictNames(p), [], 'conflict copies');
      assert.equal(await readFile(join(p.server, 'w.txt'), 'utf8'), expected, 'the remote file');
      assert.equal(await readFile(join(p.local, 'w.txt'), 'utf8'), expected, 'L/w.txt');
      // The read above opened it through the placeholder, so a hydration may be turning it into a copy now:
      // placeholder first, then copy, each looked at whole.
      assert.ok(
        (await isPlaceholder(p, 'w.txt')) || (await isLocalCopy(p, 'w.txt', expected)),
        `a placeholder or a copy: ${await describeLocal(p, 'w.txt')}`,
      );
      const conflicts = logLines(log).filter(
        (l) => /^conflict/i.test(l.msg ?? '') || (typeof l.conflicts === 'number' && l.conflicts > 0),
      );
      assert.deepEqual(conflicts, [], 'conflicts in the log');
      await stopRun(run);

      // Settled: a new pass has nothing to do, and still no conflict.
      assert.deepEqual(planLines(await sync(p, '--dry-run')), [], 'the write was recorded');
      await sync(p);
      assert.deepEqual(await conflictNames(p), []);
      assert.equal(await readFile(join(p.server, 'w.txt'), 'utf8'), expected);
      assert.equal(await readFile(join(p.local, 'w.txt'), 'utf8'), expected);
    } finally {
      run.kill('SIGKILL');
    }
  });
});
