// Lazy mode, opening placeholders: every short open is caught and hydrated once, a file read during its own
// hydration is not corrupted, --max-size keeps big files remote, --access-detect proc, and `sync` ignores opens.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chmod, lstat, open, readFile, readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import {
  describeResult,
  killAllCli,
  newPair,
  nowSec,
  runCli,
  setMtime,
  startRemote,
  sync,
  waitFor,
  writeTree,
  type CliProcess,
  type Pair,
  type Remote,
} from '../fixture/index.js';
import { isPlaceholder } from '../fixture/daemon.js';
import { assertRunning, isRegular, logLines, startRun, stopRun, type LogLine } from '../fixture/run.js';

const BASE = nowSec() - 7200;

function hydratedLines(file: string): LogLine[] {
  return logLines(file).filter((l) => typeof l.msg === 'string' && l.msg.startsWith('hydrated '));
}

/** Waits until every path is a placeholder (the first pass made them). */
async function waitPlaceholders(run: CliProcess, p: Pair, rels: string[], timeoutMs = 60_000): Promise<void> {
  await waitFor(
    async () => {
      assertRunning(run);
      for (const rel of rels) if (!(await isPlaceholder(p, rel))) return false;
      return true;
    },
    `placeholders for ${rels.length} remote files`,
    timeoutMs,
  );
}

/** `cat FILE`: one short open through whatever FILE is, returning what it read. */
function cat(file: string): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    execFile('cat', [file], { encoding: 'buffer', maxBuffer: 64 << 20 }, (err, stdout) =>
      err ? reject(err) : resolve(stdout),
    );
  });
}

/** A buffer whose every 4-byte word holds its own word index: a misplaced or stale chunk is visible. */
function pattern(bytes: number): Buffer {
  const b = Buffer.alloc(bytes);
  for (let i = 0; i < bytes / 4; i++) b.writeUInt32LE(i, i * 4);
  return b;
}

function firstDifference(a: Buffer, b: Buffer): string {
  if (a.equals(b)) return 'equal';
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++)
    if (a[i] !== b[i]) return `first difference at byte ${i} (lengths ${a.length}, ${b.length})`;
  return `lengths differ: ${a.length} vs ${b.length}`;
}

describe('lazy mode: opening placeholders', { timeout: 900_000 }, () => {
  let remote: Remote;
  before(async () => {
    remote = await startRemote();
  });
  after(async () => {
    await killAllCli();
    await remote.stop();
  });

  it('500 separate short opens (cat) of 500 placeholders: all hydrated, each once, via inotify', async () => {
    const p = await newPair(remote, 'open-500');
    const N = 500;
    const files: Record<string, string> = {};
    for (let i = 0; i < N; i++) {
      files[`d${i % 5}/f${String(i).padStart(3, '0')}.txt`] =
        `file ${i}: ${randomBytes(12).toString('hex')}\n`;
    }
    const rels = Object.keys(files);
    await writeTree(p.server, files);
    const log = join(remote.base, 'open-500.log');
    const run = startRun(p, log, ['--interval', '3600']);
    try {
      await waitPlaceholders(run, p, rels);

      // 500 separate processes, 20 at a time; each reads the right content, whatever the placeholder is by then.
      for (let i = 0; i < N; i += 20) {
        await Promise.all(
          rels.slice(i, i + 20).map(async (rel) => {
            const got = (await cat(join(p.local, rel))).toString('utf8');
            assert.equal(got, files[rel], `cat ${rel} through the placeholder`);
          }),
        );
      }

      const hydrated = async (): Promise<number> => {
        let n = 0;
        for (const rel of rels) {
          const local = join(p.local, rel);
          if ((await isRegular(p, rel)) && (await readFile(local, 'utf8')) === files[rel]) n++;
        }
        return n;
      };
      let count = 0;
      try {
        await waitFor(
          async () => {
            assertRunning(run);
            return (count = await hydrated()) === N;
          },
          `all ${N} opened placeholders to be hydrated`,
          120_000,
          250,
        );
      } catch {
        // the count below says how many
      }
      count = await hydrated();
      console.log(`hydrated ${count}/${N}`);
      const missing = [];
      for (const rel of rels) if (!(await isRegular(p, rel))) missing.push(rel);
      assert.equal(count, N, `not hydrated (first 10): ${missing.slice(0, 10).join(', ')}`);

      // One `hydrated` line per file: the log line may follow the rename by a moment.
      await waitFor(() => hydratedLines(log).length >= N, `${N} "hydrated" lines in the log`, 20_000);
      await stopRun(run);
      const lines = hydratedLines(log);
      const seen = new Map<string, number>();
      for (const l of lines) seen.set(String(l.path), (seen.get(String(l.path)) ?? 0) + 1);
      const twice = [...seen].filter(([, n]) => n > 1).map(([path, n]) => `${path} x${n}`);
      assert.deepEqual(twice, [], 'files downloaded more than once');
      assert.deepEqual([...seen.keys()].sort(), [...rels].sort(), 'the hydrated paths are the opened files');
      const notInotify = lines.filter((l) => l.via !== 'inotify');
      assert.deepEqual(notInotify.slice(0, 5), [], 'every hydration was detected by inotify');
      for (const l of lines) {
        assert.equal(l.size, Buffer.byteLength(files[String(l.path)] ?? ''), `size of ${l.path} in the log`);
        assert.ok(typeof l.ms === 'number' && l.ms >= 0, `ms of ${l.path} in the log: ${JSON.stringify(l)}`);
      }
    } finally {
      run.kill('SIGKILL');
    }
  });

  it('a file read while its hydration runs is not corrupted; the next open gets the local copy', async () => {
    const p = await newPair(remote, 'open-during-hydration');
    const SIZE = 64 << 20;
    const CHUNK = 1 << 20;
    const content = pattern(SIZE);
    await writeTree(p.server, { 'big.bin': content });
    await chmod(join(p.server, 'big.bin'), 0o640);
    await setMtime(p.server, 'big.bin', BASE);
    const log = join(remote.base, 'open-during-hydration.log');
    const run = startRun(p, log, ['--interval', '3600']);
    const local = join(p.local, 'big.bin');
    let done = false;
    try {
      await waitPlaceholders(run, p, ['big.bin']);

      // Watch the local name closely: whenever it is a regular file it must be whole (an atomic rename).
      let sawTemp = false;
      const partial: string[] = [];
      const monitor = (async () => {
        while (!done) {
          try {
            const st = await lstat(local);
            if (st.isFile() && st.size !== SIZE) partial.push(`a regular file of ${st.size} bytes`);
          } catch (e) {
            partial.push(`lstat failed: ${(e as Error).message}`);
          }
          if ((await readdir(p.local)).some((n) => n.startsWith('.lazysync-tmp-'))) sawTemp = true;
          await new Promise((resolve) => setTimeout(resolve, 5));
        }
      })();

      // Reader A: opens the placeholder (this open triggers the hydration), reads half, waits until the
      // hydration has replaced the placeholder, then reads the rest from the same descriptor.
      const a = await open(local, 'r');
      const readerA = (async () => {
        const parts: Buffer[] = [];
        let pos = 0;
        let waited = false;
        try {
          for (;;) {
            if (!waited && pos >= SIZE / 2) {
              waited = true;
              await waitFor(() => isRegular(p, 'big.bin'), 'the hydration of big.bin (reader A)', 120_000, 5);
            }
            const buf = Buffer.alloc(CHUNK);
            const { bytesRead } = await a.read(buf, 0, CHUNK, pos);
            if (bytesRead === 0) break;
            parts.push(buf.subarray(0, bytesRead));
            pos += bytesRead;
          }
        } finally {
          await a.close();
        }
        return Buffer.concat(parts);
      })();
      readerA.catch(() => undefined);

      // Reader C: more short opens through the placeholder while the hydration runs (one download only).
      let shortOpens = 0;
      const readerC = (async () => {
        while (!done && !(await isRegular(p, 'big.bin'))) {
          const fh = await open(local, 'r');
          try {
            const size = (await fh.stat()).size;
            assert.equal(size, SIZE, 'size seen by an open during the hydration');
            const tail = Buffer.alloc(4096);
            await fh.read(tail, 0, 4096, size - 4096);
            assert.ok(tail.equals(content.subarray(SIZE - 4096)), 'tail read during the hydration');
          } finally {
            await fh.close();
          }
          shortOpens++;
          assertRunning(run);
        }
      })();
      readerC.catch(() => undefined); // awaited below; this only keeps an early failure from being "unhandled"

      // Reader B: the first open after the hydration reads the local copy.
      await waitFor(
        async () => {
          assertRunning(run);
          return isRegular(p, 'big.bin');
        },
        'big.bin to be hydrated',
        120_000,
        5,
      );
      const b = await open(local, 'r');
      let readB: Buffer;
      try {
        const st = await b.stat();
        assert.equal(st.dev, (await stat(p.local)).dev, 'the open after the hydration reads the local disk');
        readB = await b.readFile();
      } finally {
        await b.close();
      }

      const readA = await readerA;
      await readerC;
      done = true;
      await monitor;
      console.log(
        `hydration seen in flight (temp file): ${sawTemp}; opens during the hydration: ${shortOpens}`,
      );
      assert.ok(
        readA.equals(content),
        `reader A (open before the hydration): ${firstDifference(readA, content)}`,
      );
      assert.ok(
        readB.equals(content),
        `reader B (open after the hydration): ${firstDifference(readB, content)}`,
      );
      assert.deepEqual(partial.slice(0, 5), [], 'the local name was seen half-written');

      const final = await readFile(local);
      assert.ok(final.equals(content), `the local copy: ${firstDifference(final, content)}`);
      assert.ok((await readFile(join(p.server, 'big.bin'))).equals(content), 'the remote file changed');
      const st = await lstat(local);
      assert.equal(st.mode & 0o777, 0o640, 'mode of the local copy');
      assert.equal(Math.floor(st.mtimeMs / 1000), BASE, 'mtime of the local copy');

      await waitFor(() => hydratedLines(log).length >= 1, 'the "hydrated" log line', 20_000);
      await stopRun(run);
      const lines = hydratedLines(log).filter((l) => l.path === 'big.bin');
      assert.equal(lines.length, 1, `one download for all the opens:\n${JSON.stringify(lines)}`);
      assert.equal(lines[0]?.size, SIZE);
      assert.equal(lines[0]?.via, 'inotify');
    } finally {
      done = true;
      run.kill('SIGKILL');
    }
  });

  it('--max-size 1M: an opened 2 MiB placeholder stays a placeholder; a 200 KiB one is hydrated; pins win', async () => {
    const p = await newPair(remote, 'max-size');
    const big = randomBytes(2 << 20);
    const small = randomBytes(200 << 10);
    const pinnedBig = randomBytes(2 << 20);
    await writeTree(p.server, { 'big.bin': big, 'small.bin': small, 'pinned-big.bin': pinnedBig });
    const log = join(remote.base, 'max-size.log');
    const run = startRun(p, log, ['--interval', '3600', '--max-size', '1M', '--pin', 'pinned-big.bin']);
    try {
      await waitPlaceholders(run, p, ['big.bin', 'small.bin']);
      // docs/design.md: larger files stay placeholders "unless pinned".
      await waitFor(
        async () =>
          (await isRegular(p, 'pinned-big.bin')) &&
          (await readFile(join(p.local, 'pinned-big.bin'))).equals(pinnedBig),
        'the pinned 2 MiB file to be downloaded despite --max-size',
        30_000,
      );
      assert.ok(
        (await cat(join(p.local, 'big.bin'))).equals(big),
        'reading the big file through the placeholder',
      );
      assert.ok((await cat(join(p.local, 'small.bin'))).equals(small));
      // The small file's hydration is the barrier: the big one was opened first.
      await waitFor(
        async () => {
          assertRunning(run);
          return isRegular(p, 'small.bin');
        },
        'small.bin to be hydrated',
        30_000,
      );
      assert.ok((await readFile(join(p.local, 'small.bin'))).equals(small));
      assert.ok(await isPlaceholder(p, 'big.bin'), 'big.bin (2 MiB > --max-size 1M) was hydrated');
      await stopRun(run); // a hydration in flight would be finished before the exit
      assert.ok(await isPlaceholder(p, 'big.bin'), 'big.bin was hydrated before the exit');
      assert.deepEqual(
        hydratedLines(log)
          .filter((l) => l.via !== 'pin')
          .map((l) => l.path),
        ['small.bin'],
        'paths hydrated on open, in the log',
      );
    } finally {
      run.kill('SIGKILL');
    }
  });

  it('--access-detect proc: a placeholder held open for 1.5 s is hydrated, via proc', async () => {
    const p = await newPair(remote, 'proc');
    await writeTree(p.server, { 'held.txt': 'held open for a while', 'other.txt': 'never opened' });
    const log = join(remote.base, 'proc.log');
    const run = startRun(p, log, ['--interval', '3600', '--access-detect', 'proc']);
    try {
      await waitPlaceholders(run, p, ['held.txt', 'other.txt']);
      const holder = spawn(
        process.execPath,
        [
          '-e',
          'const fs = require("fs"); const fd = fs.openSync(process.argv[1], "r"); setTimeout(() => fs.closeSync(fd), 1500);',
          join(p.local, 'held.txt'),
        ],
        { stdio: 'ignore' },
      );
      const holderExit = new Promise<number | null>((resolve) => holder.once('close', resolve));
      await waitFor(
        async () => {
          assertRunning(run);
          return isRegular(p, 'held.txt');
        },
        'held.txt to be hydrated',
        20_000,
      );
      assert.equal(await holderExit, 0, 'the holder process failed');
      assert.equal(await readFile(join(p.local, 'held.txt'), 'utf8'), 'held open for a while');
      assert.ok(await isPlaceholder(p, 'other.txt'), 'a file nobody opened was hydrated');
      await waitFor(() => hydratedLines(log).length >= 1, 'the "hydrated" log line', 20_000);
      await stopRun(run);
      const lines = hydratedLines(log);
      assert.deepEqual(
        lines.map((l) => [l.path, l.via]),
        [['held.txt', 'proc']],
        JSON.stringify(lines),
      );
    } finally {
      run.kill('SIGKILL');
    }
  });

  it('lazysync sync does not hydrate on open (an open between passes, and one held during a pass)', async () => {
    const p = await newPair(remote, 'sync-no-open');
    await writeTree(p.server, { 'p.txt': 'stays remote', 'sub/q.txt': 'also remote' });
    const log = join(remote.base, 'sync-no-open.log');
    await sync(p);
    assert.ok(await isPlaceholder(p, 'p.txt'));
    assert.ok(await isPlaceholder(p, 'sub/q.txt'));
    assert.equal((await cat(join(p.local, 'p.txt'))).toString(), 'stays remote');
    const fh = await open(join(p.local, 'sub/q.txt'), 'r');
    try {
      const r = await runCli(['sync', '-r', p.remote, '-l', p.local, '--log-file', log]);
      assert.equal(r.code, 0, describeResult(r));
    } finally {
      await fh.close();
    }
    assert.ok(await isPlaceholder(p, 'p.txt'), 'p.txt was hydrated by sync');
    assert.ok(await isPlaceholder(p, 'sub/q.txt'), 'sub/q.txt was hydrated by sync');
    assert.ok(existsSync(log), 'sync wrote no log file');
    assert.deepEqual(hydratedLines(log), []);
  });
});
