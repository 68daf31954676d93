// The file commands of the client against a real daemon: pin and unpin (a file, a folder and new files in
// it), free (clean copies only), versions and restore, conflicts.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  conflictCopies,
  describeResult,
  killAllCli,
  linesOf,
  newPair,
  nowSec,
  startRemote,
  versionTexts,
  waitFor,
  writeFileAt,
  writeTree,
  type Pair,
  type Remote,
} from '../fixture/index.js';
import {
  describeLocal,
  isLocalCopy,
  isPlaceholder,
  specOf,
  startDaemon,
  type Daemon,
  type PairSpec,
} from '../fixture/daemon.js';

const T = nowSec();
const LATER = T - 300;
const HUMAN_TIME = /\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2} UTC/;

/** A server-side file's text, or '' while it is missing (an upload may replace it in two steps over sftp). */
async function serverText(p: Pair, rel: string): Promise<string> {
  return readFile(join(p.server, rel), 'utf8').catch(() => '');
}

/** Waits until the wall clock is in a later whole second than `sec` (version stamps have 1 s precision). */
async function nextSecond(sec: number): Promise<void> {
  await waitFor(() => nowSec() > sec, `the clock to pass ${sec}`, 5000, 20);
}

describe('daemon: pin, unpin, free, versions, restore, conflicts', { timeout: 900_000 }, () => {
  let remote: Remote;
  let d: Daemon;
  const pairs: Record<string, Pair> = {};
  /** One pair per test, all in one daemon; lazy, and a pass only when asked (or on a local change). */
  const specs: [string, Omit<PairSpec, 'remote' | 'local' | 'name'>][] = [
    ['pinfile', {}],
    ['pinfolder', {}],
    ['free', {}],
    ['edited', {}],
    ['versions', {}],
    ['conflicts', { lazy: false }],
    ['quiet', {}],
  ];

  before(async () => {
    remote = await startRemote();
    for (const [name] of specs) pairs[name] = await newPair(remote, `files-${name}`);
    await writeTree(pairs.pinfile!.server, { 'doc.txt': 'version one', 'other.txt': 'other' });
    await writeTree(pairs.pinfolder!.server, {
      'dir/a.txt': 'a',
      'dir/sub/b.txt': 'bb',
      'outside.txt': 'outside',
    });
    await writeTree(pairs.free!.server, { 'u/a.txt': 'free a', 'u/b.txt': 'free b' });
    await writeTree(pairs.edited!.server, { 'e.txt': 'original' });
    await writeTree(pairs.versions!.server, { 'r.txt': 'one' });
    await writeTree(pairs.conflicts!.server, { 'c.txt': 'base' });
    await writeTree(pairs.quiet!.server, { 'q.txt': 'q' });
    d = await startDaemon({
      pairs: specs.map(([name, opts]) => specOf(pairs[name]!, name, { interval: 3600, ...opts })),
    });
    for (const [name] of specs) await d.waitPass(name);
  });
  after(async () => {
    await d?.stop().catch(() => undefined);
    await d?.dispose();
    await killAllCli();
    await remote.stop();
  });

  /** `rescan NAME` and wait for a pass that finished after it was asked for. */
  async function rescanned(name: string): Promise<void> {
    const since = (await d.pair(name)).lastPass?.finishedAt;
    await d.ok(['rescan', name]);
    await d.waitPass(name, since);
  }

  it('pin FILE hydrates it now; a later server-side change is downloaded again, not left as a placeholder', async () => {
    const p = pairs.pinfile!;
    assert.ok(await isPlaceholder(p, 'doc.txt'), `doc.txt is ${await describeLocal(p, 'doc.txt')}`);
    const r = await d.ok(['pin', join(p.local, 'doc.txt')]);
    assert.match(r.stdout, /pinned doc\.txt in pinfile \(1 file local\)/, r.stdout);
    assert.ok(
      await isLocalCopy(p, 'doc.txt', 'version one'),
      `pin answered before doc.txt was local: ${await describeLocal(p, 'doc.txt')}`,
    );
    assert.ok(await isPlaceholder(p, 'other.txt'), 'only the pinned file is hydrated');
    assert.equal((await d.pair('pinfile')).counts.pinned, 1);

    await writeFileAt(p.server, 'doc.txt', 'version two, longer', LATER);
    await p.caughtUp?.(); // until the mount shows the change, as a user would wait
    await d.ok(['rescan', 'pinfile']);
    await d.waitFor(
      () => isLocalCopy(p, 'doc.txt', 'version two, longer'),
      'the pinned doc.txt to be downloaded again',
    );
    await rescanned('pinfile');
    assert.ok(await isLocalCopy(p, 'doc.txt', 'version two, longer'), await describeLocal(p, 'doc.txt'));
    assert.deepEqual(
      await versionTexts(p.local, 'doc.txt'),
      ['version one'],
      'the replaced copy is a version',
    );
  });

  it('pin FOLDER hydrates every file below it, and a new server-side file there becomes a local copy', async () => {
    const p = pairs.pinfolder!;
    const r = await d.ok(['pin', join(p.local, 'dir')]);
    assert.match(r.stdout, /pinned dir in pinfolder \(2 files local\)/, r.stdout);
    assert.ok(await isLocalCopy(p, 'dir/a.txt', 'a'), await describeLocal(p, 'dir/a.txt'));
    assert.ok(await isLocalCopy(p, 'dir/sub/b.txt', 'bb'), await describeLocal(p, 'dir/sub/b.txt'));
    assert.ok(await isPlaceholder(p, 'outside.txt'), 'a file outside the pinned folder stays a placeholder');

    await writeTree(p.server, {
      'dir/new.txt': 'new in a pinned folder',
      'dir/sub/deep.txt': 'deeper',
      'fresh.txt': 'f',
    });
    await p.caughtUp?.(); // until the mount shows the change, as a user would wait
    await rescanned('pinfolder');
    await d.waitFor(
      async () =>
        (await isLocalCopy(p, 'dir/new.txt', 'new in a pinned folder')) &&
        (await isLocalCopy(p, 'dir/sub/deep.txt', 'deeper')),
      'new files in the pinned folder to become local copies',
      10_000,
    );
    assert.ok(await isPlaceholder(p, 'fresh.txt'), `fresh.txt is ${await describeLocal(p, 'fresh.txt')}`);
  });

  it('free refuses pinned copies; after unpin, free turns clean copies back into placeholders', async () => {
    const p = pairs.free!;
    const u = join(p.local, 'u');
    await d.ok(['pin', u]);
    assert.ok(await isLocalCopy(p, 'u/a.txt', 'free a'));
    assert.ok(await isLocalCopy(p, 'u/b.txt', 'free b'));

    const refused = await d.cli(['free', u]);
    assert.equal(refused.code, 1, describeResult(refused));
    assert.match(refused.stderr, /pinned/i, refused.stderr);
    assert.ok(await isLocalCopy(p, 'u/a.txt', 'free a'), 'a pinned copy was freed');

    const un = await d.ok(['unpin', u]);
    assert.match(un.stdout, /unpinned u in free/, un.stdout);
    assert.equal((await d.pair('free')).counts.pinned, 0);
    const freed = await d.ok(['free', u]);
    assert.match(freed.stdout, /freed u\/a\.txt/, freed.stdout);
    assert.match(freed.stdout, /freed u\/b\.txt/, freed.stdout);
    assert.ok(await isPlaceholder(p, 'u/a.txt'), `u/a.txt is ${await describeLocal(p, 'u/a.txt')}`);
    assert.ok(await isPlaceholder(p, 'u/b.txt'), `u/b.txt is ${await describeLocal(p, 'u/b.txt')}`);
    // (Not read here: opening a placeholder hydrates it.)
    // Unpinned, they stay placeholders at the next pass.
    await rescanned('free');
    assert.ok(await isPlaceholder(p, 'u/a.txt'), `u/a.txt is ${await describeLocal(p, 'u/a.txt')}`);
    assert.equal((await d.pair('free')).counts.localCopies, 0);
  });

  it('free of a copy edited and not yet uploaded is refused (exit 1) and the edit is kept', async () => {
    const p = pairs.edited!;
    const file = join(p.local, 'e.txt');
    await d.ok(['pin', file]);
    await d.ok(['unpin', file]);
    assert.ok(await isLocalCopy(p, 'e.txt', 'original'));

    await d.ok(['pause', 'edited']);
    try {
      await writeFile(file, 'my edit, not uploaded');
      const r = await d.cli(['free', file]);
      assert.equal(r.code, 1, describeResult(r));
      assert.match(r.stderr, /e\.txt/, r.stderr);
      assert.equal(linesOf(r.stderr).length, 1, `one clear line:\n${r.stderr}`);
      assert.equal(r.stdout.includes('freed e.txt'), false, r.stdout);
      assert.ok(await isLocalCopy(p, 'e.txt', 'my edit, not uploaded'), await describeLocal(p, 'e.txt'));
      assert.equal(
        await readFile(join(p.server, 'e.txt'), 'utf8'),
        'original',
        'nothing was uploaded while paused',
      );
    } finally {
      await d.ok(['resume', 'edited']);
    }
    await d.waitFor(
      async () => (await serverText(p, 'e.txt')) === 'my edit, not uploaded',
      'the edit to be uploaded after resume',
    );
    await d.waitPair('edited', (s) => s.state === 'idle', 'idle after the upload');
    // Uploaded, it is clean: now it can be freed.
    const ok = await d.ok(['free', file]);
    assert.match(ok.stdout, /freed e\.txt/, ok.stdout);
    assert.ok(await isPlaceholder(p, 'e.txt'), await describeLocal(p, 'e.txt'));
    assert.equal(await readFile(file, 'utf8'), 'my edit, not uploaded');
  });

  it('versions lists both sides with times and sizes; restore brings one back and keeps what it replaced', async () => {
    const p = pairs.versions!;
    const file = join(p.local, 'r.txt');
    await d.ok(['pin', file]);
    assert.ok(await isLocalCopy(p, 'r.txt', 'one'));

    // A local edit is uploaded: the remote's old content ("one", 3 bytes) becomes a remote version.
    await writeFile(file, 'second!!');
    await d.waitFor(
      async () => (await serverText(p, 'r.txt')) === 'second!!',
      'the local edit to be uploaded',
    );
    await d.waitPair('versions', (s) => s.state === 'idle', 'idle after the upload');
    // A server edit of the pinned file is downloaded: the local "second!!" (8 bytes) becomes a local version,
    // stamped in a later second than the remote one (stamps have whole seconds).
    await nextSecond(nowSec());
    await writeFileAt(p.server, 'r.txt', 'third, from the server', LATER);
    await p.caughtUp?.(); // until the mount shows the change, as a user would wait
    await rescanned('versions');
    await d.waitFor(
      () => isLocalCopy(p, 'r.txt', 'third, from the server'),
      'the server edit to be downloaded',
    );
    await nextSecond(nowSec());

    const v = await d.ok(['versions', file]);
    assert.match(linesOf(v.stdout)[0] ?? '', /^SIDE\s+TIME\s+VERSION\s+SIZE\s+FILE$/, v.stdout);
    const rows = linesOf(v.stdout).filter((l) => /^(local|remote)\s/.test(l));
    assert.equal(rows.length, 2, v.stdout);
    const [newest, older] = rows as [string, string];
    assert.match(newest, /^local\s/, `newest first:\n${v.stdout}`);
    assert.match(older, /^remote\s/, v.stdout);
    for (const row of rows) assert.match(row, HUMAN_TIME, row);
    assert.match(newest, /\b8 B\b/, newest);
    assert.match(older, /\b3 B\b/, older);
    const fileOf = (row: string): string => {
      const m = /(\/\S*\/\.lazysync\/versions\/r~\d{8}-\d{6}\S*\.txt)\s*$/.exec(row);
      assert.ok(m?.[1] !== undefined, `no version file in: ${row}`);
      return m[1];
    };
    assert.equal(await readFile(fileOf(newest), 'utf8'), 'second!!');
    assert.equal(await readFile(fileOf(older), 'utf8'), 'one');
    assert.ok(fileOf(newest).startsWith(`${p.local}/`), 'the local version lives under L');
    assert.ok(fileOf(older).startsWith(`${p.remote}/`), 'the remote version lives under R');
    // The VERSION column is what `restore --at` takes.
    const olderVersion = /\sUTC\s+(\d{8}-\d{6}(-\d+)?)\s/.exec(older)?.[1] ?? '';
    assert.ok(fileOf(older).includes(`~${olderVersion}.txt`), `${olderVersion} names ${fileOf(older)}`);

    // restore: the newest version (local "second!!"); the content it replaced becomes a version.
    const r = await d.ok(['restore', file]);
    assert.match(
      r.stdout,
      /^restored r\.txt in versions from the local version \d{8}-\d{6}(-\d+)? of \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC \(the content it replaced was kept as a version\)$/m,
      r.stdout,
    );
    assert.ok(await isLocalCopy(p, 'r.txt', 'second!!'), await describeLocal(p, 'r.txt'));
    assert.ok(
      (await versionTexts(p.local, 'r.txt')).includes('third, from the server'),
      'the replaced content must be kept as a version',
    );
    await d.waitFor(
      async () => (await serverText(p, 'r.txt')) === 'second!!',
      'the restored content to be uploaded',
    );
    await d.waitPair('versions', (s) => s.state === 'idle', 'idle after the upload');

    // restore --at a given version: the remote version "one".
    const at = await d.ok(['restore', file, '--at', olderVersion]);
    assert.match(at.stdout, new RegExp(`from the remote version ${olderVersion} of `), at.stdout);
    assert.ok(await isLocalCopy(p, 'r.txt', 'one'), await describeLocal(p, 'r.txt'));

    // An unknown stamp fails clearly and changes nothing.
    const unknown = await d.cli(['restore', file, '--at', '19990101-000000']);
    assert.notEqual(unknown.code, 0, describeResult(unknown));
    assert.match(unknown.stderr, /r\.txt has no version of what it held at 19990101-000000/, unknown.stderr);
    const bad = await d.cli(['restore', file, '--at', 'yesterday']);
    assert.equal(bad.code, 2, describeResult(bad));
    assert.equal(linesOf(bad.stderr).length, 1, bad.stderr);
    assert.match(bad.stderr, /--at takes a version like \d{8}-\d{6}.*not 'yesterday'/, bad.stderr);
    assert.ok(await isLocalCopy(p, 'r.txt', 'one'), await describeLocal(p, 'r.txt'));

    // A path with no versions says so.
    const none = await d.ok(['versions', join(pairs.quiet!.local, 'q.txt')]);
    assert.match(none.stdout, /no versions of q\.txt in quiet/, none.stdout);
  });

  it('conflicts lists the conflict copy made when both sides were edited while paused', async () => {
    const p = pairs.conflicts!;
    assert.ok(await isLocalCopy(p, 'c.txt', 'base'));
    const empty = await d.ok(['conflicts', 'conflicts']);
    assert.match(empty.stdout, /no conflicts/, empty.stdout);

    await d.ok(['pause', 'conflicts']);
    await writeFileAt(p.server, 'c.txt', 'edited on the server', LATER);
    await writeFile(join(p.local, 'c.txt'), 'edited here, locally');
    await d.ok(['resume', 'conflicts']);
    await d.waitFor(
      async () => (await conflictCopies(p.local, 'c.txt')).size === 1,
      'a conflict copy of c.txt',
    );
    await d.waitPair(
      'conflicts',
      (s) => s.state === 'idle' && s.counts.conflicts === 1,
      'the conflict counted',
    );
    const [copy] = [...(await conflictCopies(p.local, 'c.txt')).keys()];

    const all = await d.ok(['conflicts']);
    const rows = linesOf(all.stdout).filter((l) => l.includes('c.txt'));
    assert.equal(rows.length, 1, all.stdout);
    const row = rows[0] ?? '';
    assert.match(row, /^conflicts\s+c\.txt\s/, row);
    assert.ok(copy !== undefined && row.includes(copy), `the row names the copy ${copy}: ${row}`);
    assert.equal(row.match(new RegExp(HUMAN_TIME.source, 'g'))?.length, 2, `both sides' times: ${row}`);
    const one = await d.ok(['conflicts', 'conflicts']);
    assert.ok(one.stdout.includes(copy ?? '?'), one.stdout);
    const other = await d.ok(['conflicts', 'quiet']);
    assert.match(other.stdout, /no conflicts/, other.stdout);
  });
});
