// The daemon with several pairs, driven through the CLI: a pair whose remote is unmounted waits while the
// others sync, add/remove saved to the config file, pause/resume, the mass-delete guard and its
// confirmation, the fields of `status --json`, SIGTERM, and one daemon per socket and per pair.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { chmod, lstat, mkdir, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { parse as parseToml } from 'smol-toml';
import {
  describeResult,
  killAllCli,
  linesOf,
  listVersions,
  newPair,
  nowSec,
  readSpec,
  remove,
  repoRoot,
  runCli,
  spawnCli,
  startRemote,
  versionTexts,
  waitFor,
  writeFileAt,
  writeTree,
  type Remote,
} from '../fixture/index.js';
import {
  apiRequest,
  configToml,
  daemonDir,
  describeLocal,
  isLocalCopy,
  isPlaceholder,
  recordEvents,
  specOf,
  startDaemon,
  type ApiPairStatus,
  type Daemon,
} from '../fixture/daemon.js';

const T = nowSec();
const LATER = T - 300;
const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/;

const pkgVersion = (JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as { version: string })
  .version;

interface FilePair {
  name?: string;
  remote?: string;
  local?: string;
  [k: string]: unknown;
}

async function configPairs(file: string): Promise<FilePair[]> {
  const doc = parseToml(await readFile(file, 'utf8')) as { pair?: FilePair[] };
  return doc.pair ?? [];
}

/** The temp files of copies in flight anywhere below `root` (outside .lazysync). */
async function tempFiles(root: string): Promise<string[]> {
  const out: string[] = [];
  const visit = async (dir: string): Promise<void> => {
    for (const e of await readdir(dir, { withFileTypes: true }).catch(() => [])) {
      if (e.name === '.lazysync') continue;
      if (e.name.startsWith('.lazysync-tmp-')) out.push(join(dir, e.name));
      if (e.isDirectory()) await visit(join(dir, e.name));
    }
  };
  await visit(root);
  return out;
}

/** Runs `fn` with a daemon that is always disposed of (SIGKILL if a test failed before stopping it). */
async function withDaemon<T>(start: () => Promise<Daemon>, fn: (d: Daemon) => Promise<T>): Promise<T> {
  const d = await start();
  try {
    return await fn(d);
  } finally {
    await d.dispose();
  }
}

describe('daemon: several pairs', { timeout: 900_000 }, () => {
  let remote: Remote;
  before(async () => {
    remote = await startRemote();
  });
  after(async () => {
    await killAllCli();
    await remote.stop();
  });

  it('a pair whose remote is unmounted shows remote-unavailable while another keeps syncing; it recovers by itself', async () => {
    const remote2 = await startRemote();
    try {
      const a = await newPair(remote, 'two-a');
      const b = await newPair(remote2, 'two-b');
      await writeTree(a.server, { 'a1.txt': 'a one' });
      await writeTree(b.server, { 'b1.txt': 'b one' });
      await withDaemon(
        () => startDaemon({ pairs: [specOf(a, 'A', { interval: 3600 }), specOf(b, 'B', { interval: 1 })] }),
        async (d) => {
          await d.waitPass('A');
          await d.waitPass('B');
          assert.ok(await isPlaceholder(a, 'a1.txt'), `A: a1.txt is ${await describeLocal(a, 'a1.txt')}`);
          assert.ok(await isPlaceholder(b, 'b1.txt'), `B: b1.txt is ${await describeLocal(b, 'b1.txt')}`);

          // What `status --watch` shows: B's state must not flicker while it retries the gone remote.
          const watch = await recordEvents(d.socket);
          const statesOfB = (): string[] =>
            watch.events.filter((e) => e.type === 'state' && e.pair === 'B').map((e) => String(e.state));
          await remote2.unmount();
          const down = await d.waitPair(
            'B',
            (p) => p.state === 'remote-unavailable',
            'state remote-unavailable after its mount is gone',
          );
          assert.equal(typeof down.reason, 'string', 'remote-unavailable comes with a reason');
          assert.notEqual(down.reason, '', 'remote-unavailable comes with a reason');
          const human = await d.ok(['status']);
          assert.match(human.stdout, /remote unavailable/, human.stdout);

          // A is not held up: a server-side file shows up after `rescan A` (its interval is an hour).
          await writeTree(a.server, { 'a2.txt': 'a two' });
          await a.caughtUp?.(); // until the mount shows the change, as a user would wait
          const r = await d.ok(['rescan', 'A']);
          assert.match(r.stdout, /\bA\b/, r.stdout);
          await d.waitFor(() => isPlaceholder(a, 'a2.txt'), 'a2.txt to appear in A after rescan A');
          const bNow = await d.pair('B');
          assert.equal(bNow.state, 'remote-unavailable', 'B stays unavailable while unmounted');
          assert.ok((await lstat(join(b.local, 'b1.txt'))).isSymbolicLink(), "B's placeholder was kept");
          // B retries every second: sampled as a user watching would, its state stays put over 3 retries.
          const sampledFrom = Date.now();
          await d.waitFor(async () => {
            const s = await d.pair('B');
            assert.equal(s.state, 'remote-unavailable', `B while its remote is gone: ${JSON.stringify(s)}`);
            return Date.now() - sampledFrom >= 3000;
          }, "B's state over three of its retries");
          const whileDown = statesOfB();
          const down1 = whileDown.indexOf('remote-unavailable');
          assert.ok(down1 >= 0, `no remote-unavailable event for B: ${JSON.stringify(whileDown)}`);
          assert.deepEqual(
            whileDown.slice(down1).filter((s) => s !== 'remote-unavailable'),
            [],
            `B's state flickered while its remote was gone: ${JSON.stringify(whileDown)}`,
          );

          await remote2.mount();
          const upAgain = await d.waitPair(
            'B',
            (p) => p.state === 'idle',
            'idle again by itself after the remount',
          );
          assert.equal(upAgain.reason, null, 'an idle pair has no reason');
          await writeTree(b.server, { 'b2.txt': 'b two' });
          await d.waitFor(() => isPlaceholder(b, 'b2.txt'), 'B to sync again after the remount');
          assert.ok(await isPlaceholder(b, 'b1.txt'), `B: b1.txt is ${await describeLocal(b, 'b1.txt')}`);
          watch.stop();
          await d.stop();
        },
      );
    } finally {
      await killAllCli();
      await remote2.stop();
    }
  });

  it('add starts a pair and saves it to the config file; remove stops it and takes it out again', async () => {
    const a = await newPair(remote, 'ar-a');
    const c = await newPair(remote, 'ar-c');
    await writeTree(c.server, { 'c.txt': 'third pair' });
    await withDaemon(
      () => startDaemon({ pairs: [specOf(a, 'A', { interval: 3600 })] }),
      async (d) => {
        await d.waitPass('A');
        const added = await d.ok([
          'add',
          '-r',
          c.remote,
          '-l',
          c.local,
          '--name',
          'third',
          '-L',
          'n',
          '--interval',
          '3600',
        ]);
        assert.match(added.stdout, /added third/, added.stdout);
        const s = await d.waitPass('third');
        assert.equal(s.remote, c.remote);
        assert.equal(s.local, c.local);
        assert.equal(s.lazy, false);
        await d.waitFor(
          () => isLocalCopy(c, 'c.txt', 'third pair'),
          'the added eager pair to download c.txt',
        );
        assert.deepEqual(
          (await d.status()).pairs.map((p) => p.name),
          ['A', 'third'],
        );
        const saved = await configPairs(d.config);
        assert.deepEqual(
          saved.map((p) => p.name),
          ['A', 'third'],
          `config file:\n${await readFile(d.config, 'utf8')}`,
        );
        const third = saved[1];
        assert.equal(third?.remote, c.remote);
        assert.equal(third?.local, c.local);
        assert.equal(third?.lazy, false);
        assert.equal(third?.interval, 3600);

        // A name or a folder that is taken is refused, and the file is left alone.
        const before = await readFile(d.config, 'utf8');
        const dup = await d.cli([
          'add',
          '-r',
          c.remote,
          '-l',
          join(remote.base, 'ar-other'),
          '--name',
          'third',
        ]);
        assert.equal(dup.code, 1, describeResult(dup));
        assert.match(dup.stderr, /already/i, dup.stderr);
        const sameLocal = await d.cli(['add', '-r', c.remote, '-l', c.local, '--name', 'fourth']);
        assert.equal(sameLocal.code, 1, describeResult(sameLocal));
        assert.equal(
          await readFile(d.config, 'utf8'),
          before,
          'a refused add must not touch the config file',
        );

        const removed = await d.ok(['remove', 'third']);
        assert.match(removed.stdout, /removed third/, removed.stdout);
        assert.deepEqual(
          (await d.status()).pairs.map((p) => p.name),
          ['A'],
        );
        assert.deepEqual(
          (await configPairs(d.config)).map((p) => p.name),
          ['A'],
          `config file:\n${await readFile(d.config, 'utf8')}`,
        );
        assert.ok(await isLocalCopy(c, 'c.txt', 'third pair'), "a removed pair's files stay");
        // Stopped for real: its lock is free, so a one-off sync of that folder runs.
        const alone = await runCli(['sync', '-r', c.remote, '-l', c.local, '-L', 'n'], { env: d.env });
        assert.equal(alone.code, 0, `the removed pair still holds its folder\n${describeResult(alone)}`);

        // A pair that is not there any more is bad input.
        const again = await d.cli(['remove', 'third']);
        assert.equal(again.code, 2, describeResult(again));
        assert.match(again.stderr, /third/, again.stderr);
        await d.stop();
      },
    );
  });

  it('pause stops passes even on rescan (local and remote changes wait); resume syncs them', async () => {
    const a = await newPair(remote, 'pause-a');
    const w = await newPair(remote, 'pause-w');
    await writeTree(a.server, { 'a.txt': 'original' });
    await writeTree(w.server, { 'w.txt': 'witness' });
    await withDaemon(
      () =>
        startDaemon({
          pairs: [specOf(a, 'A', { interval: 1, lazy: false }), specOf(w, 'W', { interval: 1 })],
        }),
      async (d) => {
        await d.waitPass('A');
        await d.waitPass('W');
        assert.ok(await isLocalCopy(a, 'a.txt', 'original'));

        const r = await d.ok(['pause', 'A']);
        assert.match(r.stdout, /paused A/, r.stdout);
        const paused = await d.pair('A');
        assert.equal(paused.state, 'paused');
        assert.equal(typeof paused.reason, 'string', 'a paused pair says why');

        await writeTree(a.server, { 'new.txt': 'created while paused' });
        await writeFileAt(a.server, 'a.txt', 'edited on the server while paused', LATER);
        await writeTree(a.local, { 'up.txt': 'created locally while paused' });
        await a.caughtUp?.(); // until the mount shows the change, as a user would wait
        await d.ok(['rescan', 'A']);
        // A runs a pass every second when not paused: let the other pair finish two passes meanwhile.
        for (let i = 0; i < 2; i++) await d.waitPass('W', (await d.pair('W')).lastPass?.finishedAt);
        const still = await d.pair('A');
        assert.equal(still.state, 'paused');
        assert.deepEqual(still.lastPass, paused.lastPass, 'no pass completed while paused');
        assert.equal(
          await describeLocal(a, 'new.txt'),
          'missing',
          'a server-side file was synced while paused',
        );
        assert.ok(await isLocalCopy(a, 'a.txt', 'original'), 'a server-side edit was synced while paused');
        assert.equal(existsSync(join(a.server, 'up.txt')), false, 'a local file was uploaded while paused');

        const resumed = await d.ok(['resume', 'A']);
        assert.match(resumed.stdout, /resumed A/, resumed.stdout);
        await d.waitFor(
          async () =>
            (await isLocalCopy(a, 'new.txt', 'created while paused')) &&
            (await isLocalCopy(a, 'a.txt', 'edited on the server while paused')) &&
            existsSync(join(a.server, 'up.txt')),
          'the changes made while paused to sync after resume',
        );
        assert.notEqual((await d.pair('A')).state, 'paused');

        // Without a PAIR, pause and resume apply to every pair.
        const all = await d.ok(['pause']);
        assert.match(all.stdout, /paused A/, all.stdout);
        assert.match(all.stdout, /paused W/, all.stdout);
        assert.deepEqual(
          (await d.status()).pairs.map((p) => [p.name, p.state]),
          [
            ['A', 'paused'],
            ['W', 'paused'],
          ],
        );
        await d.ok(['resume']);
        for (const p of (await d.status()).pairs) assert.notEqual(p.state, 'paused', p.name);
        await d.stop();
      },
    );
  });

  it('the mass-delete guard waits for confirmation; resume --confirm-deletes applies the deletions', async () => {
    const a = await newPair(remote, 'mass');
    const ten = Object.fromEntries(Array.from({ length: 10 }, (_, i) => [`f${i}.txt`, `content ${i}`]));
    await writeTree(a.server, ten);
    await withDaemon(
      () => startDaemon({ pairs: [specOf(a, 'A', { interval: 3600, lazy: false })] }),
      async (d) => {
        const first = await d.waitPass('A');
        assert.deepEqual(await readSpec(a.local), ten);

        for (let i = 0; i < 6; i++) await remove(a.server, `f${i}.txt`);
        await a.caughtUp?.(); // until the mount shows the change, as a user would wait
        await d.ok(['rescan', 'A']);
        const waiting = await d.waitPair(
          'A',
          (p) => p.state === 'waiting-confirm',
          'waiting-confirm after 6 of 10 files were deleted on the server',
        );
        assert.match(waiting.reason ?? '', /delete/i, 'the reason says what would be deleted');
        assert.match(waiting.reason ?? '', /\b6\b/, 'the reason says how many');
        assert.deepEqual(
          waiting.lastPass,
          first.lastPass,
          'a pass waiting for confirmation is not completed',
        );
        assert.deepEqual(await readSpec(a.local), ten, 'nothing was deleted locally');
        assert.deepEqual(await listVersions(a.local), []);
        const human = await d.ok(['status', 'A']);
        assert.match(human.stdout, /--confirm-deletes/, human.stdout);

        const r = await d.ok(['resume', 'A', '--confirm-deletes']);
        assert.match(r.stdout, /resumed A/, r.stdout);
        // readdir alone: a walk that lstats each name would trip over the deletions in progress.
        await d.waitFor(
          async () => (await readdir(a.local)).filter((n) => n !== '.lazysync').length === 4,
          'the confirmed deletions to be applied',
        );
        await d.waitPass('A', first.lastPass?.finishedAt);
        assert.deepEqual(Object.keys(await readSpec(a.local)).sort(), [
          'f6.txt',
          'f7.txt',
          'f8.txt',
          'f9.txt',
        ]);
        assert.deepEqual(
          await versionTexts(a.local, 'f0.txt'),
          ['content 0'],
          'deleted copies go to versions',
        );
        assert.equal((await listVersions(a.local)).length, 6);

        // The confirmation was for that pass only: the next mass deletion waits again.
        for (let i = 6; i < 10; i++) await writeTree(a.server, { [`g${i}.txt`]: `g ${i}` });
        const since = (await d.pair('A')).lastPass?.finishedAt;
        await a.caughtUp?.(); // until the mount shows the change, as a user would wait
        await d.ok(['rescan', 'A']);
        await d.waitPass('A', since);
        assert.equal(Object.keys(await readSpec(a.local)).length, 8);
        for (const n of ['f6', 'f7', 'f8', 'f9', 'g6', 'g7']) await remove(a.server, `${n}.txt`);
        await a.caughtUp?.(); // until the mount shows the change, as a user would wait
        await d.ok(['rescan', 'A']);
        await d.waitPair(
          'A',
          (p) => p.state === 'waiting-confirm',
          'waiting-confirm for a second mass deletion',
        );
        assert.equal(
          Object.keys(await readSpec(a.local)).length,
          8,
          'nothing deleted without a new confirmation',
        );
        await d.stop();
      },
    );
  });

  it('status --json: the daemon, and per pair its name, state, last pass, counts, transfers and options', async () => {
    const a = await newPair(remote, 'fields');
    await writeTree(a.server, {
      'p1.txt': 'one',
      'p2.txt': 'two',
      'dir/p3.txt': 'three',
      'keep/k.txt': 'kept local by the pin pattern',
    });
    await withDaemon(
      () =>
        startDaemon({
          pairs: [specOf(a, 'F', { interval: 3600, pin: ['keep/'], max_delete: 40 })],
        }),
      async (d) => {
        await d.waitPass('F');
        const all = await d.status();
        assert.equal(all.version, pkgVersion);
        assert.equal(all.pid, d.proc.pid, 'pid is the daemon process');
        assert.equal(all.pairs.length, 1);
        const s = all.pairs[0] as ApiPairStatus;
        assert.equal(s.name, 'F');
        assert.equal(s.remote, a.remote);
        assert.equal(s.local, a.local);
        assert.equal(s.lazy, true);
        assert.equal(s.state, 'idle');
        assert.equal(s.reason, null);
        assert.ok(s.lastPass !== null);
        assert.match(s.lastPass.finishedAt, ISO);
        assert.ok(Math.abs(Date.parse(s.lastPass.finishedAt) - Date.now()) < 120_000, s.lastPass.finishedAt);
        assert.equal(typeof s.lastPass.durationMs, 'number');
        assert.ok(s.lastPass.durationMs >= 0);
        assert.ok(s.lastPass.applied >= 4, `the first pass applied ${s.lastPass.applied} actions`);
        assert.equal(s.lastPass.problems, 0);
        const kSize = Buffer.byteLength('kept local by the pin pattern');
        assert.deepEqual(s.counts, {
          placeholders: 3,
          localCopies: 1,
          localCopyBytes: kSize,
          pinned: 1,
          conflicts: 0,
          problems: 0,
        });
        assert.deepEqual(s.transfers, []);
        assert.equal(s.options.interval, 3600);
        assert.equal(s.options.maxDelete, 40);
        assert.deepEqual(s.options.pin, ['keep/']);
        assert.deepEqual(s.options.ignore, []);
        assert.equal(s.options.accessDetect, 'inotify');
        assert.equal(s.options.maxSize, null);
        assert.equal(s.options.cacheMax, null);
        // The same answer for one pair.
        const one = JSON.parse((await d.ok(['status', 'F', '--json'])).stdout) as ApiPairStatus;
        assert.equal(one.name, 'F');
        assert.deepEqual(one.counts, s.counts);

        // A local file is uploaded and counts as a local copy.
        await writeTree(a.local, { 'both.txt': 'base' });
        await d.waitPair(
          'F',
          (p) => p.counts.localCopies === 2 && p.state === 'idle',
          'both.txt to count as a local copy',
        );
        assert.equal((await d.pair('F')).counts.localCopyBytes, kSize + 4);
        await d.waitFor(async () => existsSync(join(a.server, 'both.txt')), 'both.txt to be uploaded');

        // A conflict: both sides edited while paused.
        await d.ok(['pause', 'F']);
        await writeFileAt(a.server, 'both.txt', 'server side edit', LATER);
        await writeFile(join(a.local, 'both.txt'), 'local side edit!!');
        await d.ok(['resume', 'F']);
        const c = await d.waitPair('F', (p) => p.counts.conflicts === 1, 'counts.conflicts to be 1');
        assert.equal(c.counts.problems, 0);
        await d.stop();
      },
    );
  });

  it('status --json counts problems: a file that cannot be uploaded', async (t) => {
    const a = await newPair(remote, 'problems');
    await writeTree(a.server, { 'ro/x.txt': 'x' });
    const probe = spawnSync('chattr', ['+i', join(a.server, 'ro')], { encoding: 'utf8' });
    if (probe.status !== 0) {
      t.skip(
        `chattr +i does not work here (${probe.stderr.trim() || probe.error?.message}): no way to make an upload fail as root`,
      );
      return;
    }
    try {
      await withDaemon(
        () => startDaemon({ pairs: [specOf(a, 'P', { interval: 3600 })] }),
        async (d) => {
          const first = await d.waitPass('P');
          assert.equal(first.counts.problems, 0);
          await writeTree(a.local, { 'ro/new.txt': 'cannot go to an immutable folder' });
          const s = await d.waitPair(
            'P',
            (p) => p.counts.problems >= 1,
            'counts.problems to count the failed upload',
          );
          assert.equal(s.counts.problems, 1);
          const withProblem = await d.waitPair(
            'P',
            (p) => (p.lastPass?.problems ?? 0) >= 1,
            'lastPass.problems to count it too',
          );
          assert.equal(withProblem.lastPass?.problems, 1);
          assert.ok(
            await isLocalCopy(a, 'ro/new.txt', 'cannot go to an immutable folder'),
            'the local file stays',
          );
          await d.stop();
        },
      );
    } finally {
      spawnSync('chattr', ['-i', join(a.server, 'ro')]);
    }
  });

  it('status lists a transfer in flight; SIGTERM then exits 0, removes the socket and leaves no partial file', async () => {
    const a = await newPair(remote, 'term');
    const big = randomBytes(64 << 20);
    await writeTree(a.server, { 'small.txt': 'small' });
    await withDaemon(
      () => startDaemon({ pairs: [specOf(a, 'A', { interval: 3600, lazy: false })] }),
      async (d) => {
        await d.waitPass('A');
        assert.ok(existsSync(d.socket), 'the socket exists while the daemon runs');
        await writeTree(a.server, { 'big.bin': big });
        await a.caughtUp?.(); // until the mount shows the change, as a user would wait
        await d.ok(['rescan', 'A']);
        // Polled straight from the socket (a client process per poll could miss a transfer of half a second).
        let seen: ApiPairStatus['transfers'][number] | undefined;
        await d.waitFor(
          async () => {
            const r = await apiRequest(d.socket, 'GET', '/v1/pairs/A');
            seen = (r.json as ApiPairStatus).transfers.find((t) => t.path === 'big.bin');
            if (seen !== undefined) return true;
            const st = await lstat(join(a.local, 'big.bin')).catch(() => undefined);
            if (st?.isFile() && st.size === big.length) {
              throw new Error('big.bin was downloaded without ever being listed in transfers');
            }
            return false;
          },
          'a transfer of big.bin in status',
          60_000,
          10,
        );
        await d.stop();
        assert.ok(seen !== undefined, 'no transfer listed');
        assert.equal(seen.direction, 'download');
        assert.equal(seen.total, big.length);
        assert.ok(seen.bytes >= 0 && seen.bytes <= seen.total, JSON.stringify(seen));
        assert.equal(typeof seen.rate, 'number');
        assert.ok(seen.etaSeconds === null || seen.etaSeconds >= 0, JSON.stringify(seen));

        assert.equal(existsSync(d.socket), false, 'the socket file is removed on exit');
        assert.deepEqual(await tempFiles(a.local), [], 'a temp file of the copy in flight was left behind');
        const st = await lstat(join(a.local, 'big.bin')).catch(() => undefined);
        if (st?.isFile())
          assert.ok((await readFile(join(a.local, 'big.bin'))).equals(big), 'big.bin is partial');
        // The pair's lock was released: a one-off sync runs and finishes the job.
        const r = await runCli(['sync', '-r', a.remote, '-l', a.local, '-L', 'n'], { env: d.env });
        assert.equal(r.code, 0, describeResult(r));
        assert.ok((await readFile(join(a.local, 'big.bin'))).equals(big));
      },
    );
  });

  it('one daemon per socket and per pair: a second daemon on the socket, `run` or another daemon on a served pair is refused', async () => {
    const a = await newPair(remote, 'single');
    await writeTree(a.server, { 'x.txt': 'x' });
    await withDaemon(
      () => startDaemon({ pairs: [specOf(a, 'A', { interval: 3600 })] }),
      async (d) => {
        await d.waitPass('A');
        const empty = join(d.dir, 'empty.toml');
        await writeFile(empty, '');
        const second = await runCli(['daemon', '--config', empty, '--socket', d.socket], {
          env: d.env,
          timeoutMs: 30_000,
        });
        assert.notEqual(second.code, 0, describeResult(second));
        assert.match(second.stderr, /already running/i, second.stderr);
        assert.match(
          second.stderr,
          new RegExp(d.socket.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')),
          'names the socket',
        );
        assert.equal((await d.status()).pid, d.proc.pid, 'the first daemon still answers on its socket');

        const otherSocket = join(d.dir, 'run2', 'daemon.sock');
        const run = await runCli(['run', '-r', a.remote, '-l', a.local, '--socket', otherSocket], {
          env: d.env,
          timeoutMs: 30_000,
        });
        assert.notEqual(run.code, 0, describeResult(run));
        assert.match(`${run.stdout}\n${run.stderr}`, /already running/i);
        assert.equal(existsSync(otherSocket), false, 'the refused run left its socket behind');

        // A daemon on another socket whose config lists the same pair never runs it: it either refuses to
        // start, or lists the pair in state error saying why and refuses to act on it.
        const otherDir = await daemonDir();
        await writeFile(otherDir.config, configToml([specOf(a, 'A', { interval: 1 })]));
        const other = spawnCli(
          [
            'daemon',
            '--config',
            otherDir.config,
            '--socket',
            otherDir.socket,
            '--log-file',
            otherDir.logFile,
          ],
          { env: otherDir.env },
        );
        try {
          let listed: ApiPairStatus | undefined;
          await waitFor(async () => {
            if (other.exitCode !== null) return true;
            const r = await apiRequest(otherDir.socket, 'GET', '/v1/pairs/A').catch(() => undefined);
            if (r?.status === 200 && (r.json as ApiPairStatus).state !== 'idle')
              listed = r.json as ApiPairStatus;
            return listed?.state === 'error';
          }, 'the second daemon to refuse, or to list A in state error');
          if (other.exitCode !== null) {
            assert.notEqual(other.exitCode, 0, other.text());
            assert.match(other.output().stderr, /already running/i, other.text());
          } else {
            assert.match(listed?.reason ?? '', /already running/i, JSON.stringify(listed));
            const refused = await runCli(['pause', '--socket', otherDir.socket, 'A'], { env: otherDir.env });
            assert.equal(refused.code, 1, describeResult(refused));
            assert.deepEqual(await other.stop('SIGTERM'), { code: 0, signal: null }, other.text());
          }
        } finally {
          other.kill('SIGKILL');
          await other.exited.catch(() => undefined);
          await rm(otherDir.dir, { recursive: true, force: true });
        }

        // The first daemon goes on serving A.
        const since = (await d.pair('A')).lastPass?.finishedAt;
        await writeTree(a.server, { 'y.txt': 'after the refusals' });
        await a.caughtUp?.(); // until the mount shows the change, as a user would wait
        await d.ok(['rescan', 'A']);
        await d.waitPass('A', since);
        assert.ok(await isPlaceholder(a, 'y.txt'), `y.txt is ${await describeLocal(a, 'y.txt')}`);
        await d.stop();
      },
    );
  });

  it('`run --socket S`: a folder others may enter (0755) is fine, one others may write to (0777) is refused with exit 2', async () => {
    const a = await newPair(remote, 'run-socket-dir');
    await writeTree(a.server, { 's.txt': 's' });
    const dir = await daemonDir();
    try {
      const open = join(dir.dir, 'open');
      await mkdir(open);
      await chmod(dir.dir, 0o755);
      await chmod(open, 0o777);
      const refusedSocket = join(open, 'daemon.sock');
      const refused = await runCli(['run', '-r', a.remote, '-l', a.local, '--socket', refusedSocket], {
        env: dir.env,
        timeoutMs: 30_000,
      });
      assert.equal(refused.code, 2, describeResult(refused));
      assert.equal(refused.stdout, '', describeResult(refused));
      assert.deepEqual(
        linesOf(refused.stderr),
        [
          `lazysync: refusing the socket ${refusedSocket}: ${open} has mode 0777: others could replace the socket; run chmod go-w ${open}, or use another --socket`,
        ],
        describeResult(refused),
      );
      assert.equal(existsSync(refusedSocket), false, 'a socket was made in the refused folder');
      assert.equal(existsSync(join(a.local, 's.txt')), false, 'the refused run synced');

      await chmod(open, 0o755);
      const socket = join(open, 'daemon.sock');
      const run = spawnCli(['run', '-r', a.remote, '-l', a.local, '--socket', socket, '--interval', '3600'], {
        env: dir.env,
      });
      try {
        await waitFor(async () => {
          if (run.exitCode !== null) assert.fail(`run exited\n${run.text()}`);
          const r = await apiRequest(socket, 'GET', '/v1/status').catch(() => undefined);
          return (r?.json as { pairs?: ApiPairStatus[] } | undefined)?.pairs?.[0]?.lastPass != null;
        }, `run to serve a synced pair on ${socket}`);
        assert.equal((await lstat(socket)).mode & 0o777, 0o600, 'the socket is 0600');
        assert.equal((await lstat(open)).mode & 0o777, 0o755, 'the folder was left as it was');
        assert.ok(await isPlaceholder(a, 's.txt'), `s.txt is ${await describeLocal(a, 's.txt')}`);
        assert.deepEqual(await run.stop('SIGTERM'), { code: 0, signal: null }, run.text());
      } finally {
        run.kill('SIGKILL');
        await run.exited.catch(() => undefined);
      }
    } finally {
      await rm(dir.dir, { recursive: true, force: true });
    }
  });

  it('a second `run` without --socket while a daemon serves the default socket syncs its pair without a control API, saying so', async () => {
    const a = await newPair(remote, 'run-default-a');
    const b = await newPair(remote, 'run-default-b');
    await writeTree(a.server, { 'a.txt': 'a' });
    await writeTree(b.server, { 'b.txt': 'b' });
    const dir = await daemonDir(); // both runs get the same HOME and XDG folders: the same default socket
    const socket = join(dir.env.XDG_RUNTIME_DIR ?? '', 'lazysync', 'daemon.sock');
    const first = spawnCli(['run', '-r', a.remote, '-l', a.local, '--interval', '3600'], { env: dir.env });
    let second: ReturnType<typeof spawnCli> | undefined;
    try {
      await waitFor(async () => {
        if (first.exitCode !== null) assert.fail(`the first run exited\n${first.text()}`);
        return isPlaceholder(a, 'a.txt');
      }, 'the first run to sync');
      second = spawnCli(['run', '-r', b.remote, '-l', b.local, '--interval', '3600'], { env: dir.env });
      const s = second;
      await waitFor(async () => {
        if (s.exitCode !== null) assert.fail(`the second run exited\n${s.text()}`);
        return isPlaceholder(b, 'b.txt');
      }, 'the second run to sync its pair');
      await waitFor(() => /without a control API/.test(s.text()), 'the second run to say it has no API');
      assert.match(
        s.text(),
        new RegExp(
          `another lazysync daemon is already running on ${socket.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} \\(pid ${first.pid}\\): running this pair without a control API \\(use --socket to give it one\\)`,
        ),
      );
      // Client commands reach the first run, which knows only its own pair.
      const status = await runCli(['status', '--json'], { env: dir.env });
      assert.equal(status.code, 0, describeResult(status));
      assert.deepEqual(
        (JSON.parse(status.stdout) as { pairs: ApiPairStatus[] }).pairs.map((p) => p.local),
        [a.local],
      );
      assert.deepEqual(await s.stop('SIGTERM'), { code: 0, signal: null }, s.text());
      assert.deepEqual(await first.stop('SIGTERM'), { code: 0, signal: null }, first.text());
    } finally {
      first.kill('SIGKILL');
      second?.kill('SIGKILL');
      await first.exited.catch(() => undefined);
      await second?.exited.catch(() => undefined);
      await rm(dir.dir, { recursive: true, force: true });
    }
  });

  it('`run -r R -l L --socket S` is the daemon with one pair, named after the local folder', async () => {
    const a = await newPair(remote, 'run-one');
    await writeTree(a.server, { 'r.txt': 'r' });
    const dir = await daemonDir();
    const run = spawnCli(
      ['run', '-r', a.remote, '-l', a.local, '--socket', dir.socket, '--interval', '3600'],
      {
        env: dir.env,
      },
    );
    try {
      let status: { pairs?: { name: string; state: string; lastPass: unknown }[] } | undefined;
      const deadline = Date.now() + 30_000;
      for (;;) {
        if (run.exitCode !== null) assert.fail(`run exited early\n${run.text()}`);
        const r = await apiRequest(dir.socket, 'GET', '/v1/status').catch(() => undefined);
        status = r?.json as typeof status;
        if (status?.pairs?.[0]?.lastPass) break;
        assert.ok(Date.now() < deadline, `run did not serve a synced pair on ${dir.socket}\n${run.text()}`);
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      const cli = await runCli(['status', '--socket', dir.socket, '--json'], { env: dir.env });
      assert.equal(cli.code, 0, describeResult(cli));
      const pairs = (JSON.parse(cli.stdout) as { pairs: ApiPairStatus[] }).pairs;
      assert.deepEqual(
        pairs.map((p) => [p.name, p.local]),
        [[basename(a.local), a.local]],
      );
      // It has no config file, so it cannot take more pairs.
      const add = await runCli(['add', '--socket', dir.socket, '-r', a.remote, '-l', `${a.local}-2`], {
        env: dir.env,
      });
      assert.equal(add.code, 1, describeResult(add));
      assert.deepEqual(await run.stop('SIGTERM'), { code: 0, signal: null }, run.text());
      assert.equal(existsSync(dir.socket), false, 'the socket file is removed on exit');
    } finally {
      run.kill('SIGKILL');
      await run.exited.catch(() => undefined);
      await rm(dir.dir, { recursive: true, force: true });
    }
  });
});
