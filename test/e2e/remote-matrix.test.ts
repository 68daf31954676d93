// The remote-facing scenarios as one table over every kind of mount users have (sshfs with and without
// caches, rclone, davfs2, smbnetfs), through the real CLI. One remote per kind, shared by that kind's
// scenarios (each its own folder R and its own L); kinds run one after another.
//
// LAZYSYNC_MATRIX_KINDS=davfs2,smbnetfs runs only those kinds.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  REMOTE_KINDS,
  conflictCopies,
  describeResult,
  entryAt,
  exists,
  isRemoteKind,
  killAllCli,
  newPair,
  linesOf,
  lstatOrUndefined,
  nowSec,
  readSpec,
  remove,
  startRemote,
  versionTexts,
  waitFor,
  writeFileAt,
  writeTree,
  type Pair,
  type Remote,
  type RemoteKind,
} from '../fixture/index.js';
import { isLocalCopy, isPlaceholder } from '../fixture/daemon.js';
import { syncRaw } from '../fixture/pair.js';
import { logLines } from '../fixture/run.js';
import {
  assertSettled,
  cat,
  pairOn,
  reportsConflict,
  serverChanges,
  serverHas,
  startPairRun,
  syncMode,
  waitInSync,
  waitWhileRunning,
} from '../fixture/remotes/scenario.js';
import { crossingTimeoutMs } from '../fixture/remotes/wait.js';

const T = nowSec();
const BASE = T - 7200; // mtime of the synced ancestor
const EARLIER = T - 600;
const LATER = T - 300;

const SCENARIOS = [
  'create on each side',
  'edit on each side',
  'delete on each side',
  'conflict: both edited',
  'conflict seen through a stale view',
  'type change: file to folder and folder to file',
  'a symlink',
  'lazy open of a placeholder',
  'write through a placeholder',
  'the mount root as R',
  'unmount and remount',
] as const;
type Scenario = (typeof SCENARIOS)[number];

/** Remotes that can store a symlink; on the others a local symlink stays local with one warning. */
const STORES_SYMLINKS: ReadonlySet<RemoteKind> = new Set(['sshfs-cached', 'sshfs-nocache']);

interface Ctx {
  kind: RemoteKind;
  remote: Remote;
}

const RUNNERS: Record<Scenario, (c: Ctx) => Promise<void>> = {
  'create on each side': async ({ remote }) => {
    const p = await pairOn(remote, 'create');
    await syncMode(p, false); // the archive of an empty pair; the creations below come after it
    await writeTree(p.local, { 'from-local.txt': 'made locally', 'ldir/inner.txt': 'local inner' });
    await serverChanges(remote, p, {
      'from-server.txt': 'made on the server',
      'rdir/inner.txt': 'server inner',
    });
    await syncMode(p, false);
    await serverHas(remote, p, { 'from-local.txt': 'made locally', 'ldir/inner.txt': 'local inner' });
    assert.deepEqual(await readSpec(p.local), {
      'from-local.txt': 'made locally',
      'from-server.txt': 'made on the server',
      ldir: { dir: true },
      'ldir/inner.txt': 'local inner',
      rdir: { dir: true },
      'rdir/inner.txt': 'server inner',
    });
    await waitInSync(remote, p);
    await assertSettled(p, false);
  },

  'edit on each side': async ({ remote }) => {
    const p = await seeded(remote, 'edit', { 'a.txt': 'a v1', 'b.txt': 'b v1' });
    await writeFileAt(p.local, 'b.txt', 'b v2, edited locally', LATER);
    await serverChanges(remote, p, { 'a.txt': 'a v2, edited on the server' }, LATER);
    await syncMode(p, false);
    await serverHas(remote, p, { 'b.txt': 'b v2, edited locally' });
    assert.equal((await entryAt(p.local, 'a.txt'))?.kind, 'file');
    assert.deepEqual(await readSpec(p.local), {
      'a.txt': 'a v2, edited on the server',
      'b.txt': 'b v2, edited locally',
    });
    assert.deepEqual(
      await versionTexts(p.local, 'a.txt'),
      ['a v1'],
      'the replaced local copy is a local version',
    );
    await waitFor(
      async () => (await versionTexts(p.server, 'b.txt')).join() === 'b v1',
      'the overwritten server content to be a remote version',
      crossingTimeoutMs(remote),
    );
    await waitInSync(remote, p);
    await assertSettled(p, false);
  },

  'delete on each side': async ({ remote }) => {
    const p = await seeded(remote, 'delete', { 'a.txt': 'a', 'b.txt': 'b', 'keep.txt': 'keep' });
    await remove(p.local, 'b.txt');
    await serverChanges(remote, p, { 'a.txt': 'absent' });
    await syncMode(p, false);
    await serverHas(remote, p, { 'b.txt': 'absent', 'keep.txt': 'keep' });
    assert.deepEqual(await readSpec(p.local), { 'keep.txt': 'keep' });
    assert.deepEqual(await versionTexts(p.local, 'a.txt'), ['a'], 'the local copy is kept as a version');
    await waitInSync(remote, p);
    await assertSettled(p, false);
  },

  'conflict: both edited': async ({ remote }) => {
    const p = await seeded(remote, 'conflict', { 'c.txt': 'base' });
    await writeFileAt(p.local, 'c.txt', 'local edit', EARLIER);
    await serverChanges(remote, p, { 'c.txt': 'server edit, newer' }, LATER);
    const r = await syncMode(p, false);
    assert.ok(reportsConflict(r, 'c.txt'), `no line reports the conflict on c.txt\n${describeResult(r)}`);
    await serverHas(remote, p, { 'c.txt': 'server edit, newer' });
    assert.equal((await entryAt(p.local, 'c.txt'))?.kind, 'file');
    assert.equal(await readSpec(p.local).then((s) => s['c.txt']), 'server edit, newer');
    assert.deepEqual(
      [...(await conflictCopies(p.local, 'c.txt')).values()],
      ['local edit'],
      'local conflict copy',
    );
    await waitFor(
      async () => [...(await conflictCopies(p.server, 'c.txt')).values()].join() === 'local edit',
      'the conflict copy on the server',
      crossingTimeoutMs(remote),
    );
    await waitInSync(remote, p);
    await assertSettled(p, false);
  },

  'conflict seen through a stale view': async ({ remote }) => {
    // The server's edit is made just before the local one and the pass, so the mount's caches may still
    // show the old file: whatever the pass saw, neither edit may be lost or kept only as a version.
    const p = await seeded(remote, 'stale-conflict', { 's.txt': 'base' });
    await writeFileAt(p.server, 's.txt', 'the server edit, not yet seen through the mount', LATER);
    await writeFileAt(p.local, 's.txt', 'the local edit', LATER + 60);
    const first = await syncRaw(p, ['-L', 'n'], { timeoutMs: 120_000 });
    assert.equal(first.code, 0, `a stale view is no error\n${describeResult(first)}`);
    // Then the user waits until the mount shows what the server holds (by size: reading a file through
    // rclone's cache postpones its upload), and syncs again.
    await waitFor(
      async () => {
        const [viaMount, onServer] = await Promise.all([
          lstatOrUndefined(p.remote, 's.txt'),
          lstatOrUndefined(p.server, 's.txt'),
        ]);
        return viaMount?.size === onServer?.size;
      },
      "the mount to show the server's s.txt",
      crossingTimeoutMs(remote),
    );
    await syncMode(p, false);
    await waitInSync(remote, p);
    for (const [side, root] of [
      ['local', p.local],
      ['server', p.server],
    ] as const) {
      const spec = await readSpec(root);
      const contents = Object.entries(spec)
        .filter(([rel]) => rel === 's.txt' || rel.startsWith('s.conflict-'))
        .map(([, c]) => c)
        .sort();
      assert.deepEqual(
        contents,
        ['the local edit', 'the server edit, not yet seen through the mount'],
        `${side}: both edits, one at s.txt and the other a conflict copy\n${describeResult(first)}`,
      );
    }
    await assertSettled(p, false);
  },

  'type change: file to folder and folder to file': async ({ remote }) => {
    const p = await seeded(remote, 'type-change', { tf: 'a file', 'td/a.txt': 'in a folder' });
    await remove(p.local, 'td');
    await writeFileAt(p.local, 'td', 'now a file');
    await serverChanges(remote, p, { tf: 'absent' });
    await serverChanges(remote, p, { 'tf/inner.txt': 'now a folder' });
    await syncMode(p, false);
    await serverHas(remote, p, { td: 'now a file' });
    assert.deepEqual(await readSpec(p.local), {
      td: 'now a file',
      tf: { dir: true },
      'tf/inner.txt': 'now a folder',
    });
    await waitInSync(remote, p);
    await assertSettled(p, false);
  },

  'a symlink': async ({ kind, remote }) => {
    const p = await pairOn(remote, 'symlink');
    await syncMode(p, false);
    await writeTree(p.local, { 'plain.txt': 'plain', 'a-link': { symlink: 'plain.txt' } });
    const r = await syncRaw(p, ['-L', 'n']);
    if (STORES_SYMLINKS.has(kind)) {
      assert.equal(r.code, 0, describeResult(r));
      await serverHas(remote, p, { 'plain.txt': 'plain', 'a-link': { symlink: 'plain.txt' } });
      await assertSettled(p, false);
      return;
    }
    // The remote cannot store it: it stays local, one line says so, and everything else syncs.
    assert.equal(r.code, 0, `a symlink the remote cannot store failed the pass\n${describeResult(r)}`);
    const lines = linesOf(`${r.stdout}\n${r.stderr}`).filter((l) => l.includes('a-link'));
    assert.equal(lines.length, 1, `one line about a-link\n${describeResult(r)}`);
    assert.match(lines[0] ?? '', /symlink/i, 'the line names the limit');
    await serverHas(remote, p, { 'plain.txt': 'plain', 'a-link': 'absent' });
    assert.deepEqual(await entryAt(p.local, 'a-link'), { kind: 'symlink', target: 'plain.txt' });
    const again = await syncRaw(p, ['-L', 'n']);
    assert.equal(again.code, 0, `the next pass fails over the same symlink\n${describeResult(again)}`);
    assert.deepEqual(await entryAt(p.local, 'a-link'), { kind: 'symlink', target: 'plain.txt' });
  },

  'lazy open of a placeholder': async ({ remote }) => {
    const p = await pairOn(remote, 'lazy-open');
    const content = 'opened through a placeholder\n'.repeat(200);
    await serverChanges(remote, p, { 'docs/doc.txt': content }, BASE);
    const run = startPairRun(remote, p, 'lazy-open', ['-L', 'y', '--interval', '3600']);
    try {
      const within = crossingTimeoutMs(remote) + 30_000;
      await waitWhileRunning(run, () => isPlaceholder(p, 'docs/doc.txt'), 'the placeholder', within);
      assert.equal(
        (await cat(join(p.local, 'docs/doc.txt'))).toString('utf8'),
        content,
        'cat reads the file',
      );
      await waitWhileRunning(run, () => isLocalCopy(p, 'docs/doc.txt', content), 'the hydration', within);
      assert.deepEqual(await run.stop('SIGTERM', 30_000), { code: 0, signal: null });
    } finally {
      run.kill('SIGKILL');
    }
    assert.deepEqual(await readSpec(p.server), { docs: { dir: true }, 'docs/doc.txt': content });
    await assertSettled(p, true);
  },

  'write through a placeholder': async ({ remote }) => {
    const p = await pairOn(remote, 'write-through');
    await serverChanges(remote, p, { 'w.txt': 'original' }, BASE);
    const run = startPairRun(remote, p, 'write-through', ['-L', 'y', '--interval', '1']);
    // Saved in place (truncate and write, as most programs save), which every mount supports; appending
    // is not (rclone without its cache: ESPIPE).
    const expected = 'original, rewritten through the placeholder';
    try {
      const within = crossingTimeoutMs(remote) + 30_000;
      await waitWhileRunning(run, () => isPlaceholder(p, 'w.txt'), 'the placeholder', within);
      await writeFile(join(p.local, 'w.txt'), expected);
      await serverHas(remote, p, { 'w.txt': expected });
      // A pass that started after the write: it sees a file made after it. (The marker may be hydrated at
      // once: the fixture's own reads of it through the mount are opens on this machine, as a program's.)
      await serverChanges(remote, p, { 'zz-marker.txt': 'a pass ran' });
      await waitWhileRunning(
        run,
        async () => (await lstatOrUndefined(p.local, 'zz-marker.txt')) !== undefined,
        'a pass after the write',
        within,
      );
      assert.deepEqual(await run.stop('SIGTERM', 30_000), { code: 0, signal: null });
    } finally {
      run.kill('SIGKILL');
    }
    assert.equal((await cat(join(p.local, 'w.txt'))).toString('utf8'), expected, 'L/w.txt');
    assert.deepEqual([...(await conflictCopies(p.local, 'w.txt')).keys()], [], 'local conflict copies');
    assert.deepEqual([...(await conflictCopies(p.server, 'w.txt')).keys()], [], 'server conflict copies');
    await assertSettled(p, true);
  },

  'the mount root as R': async ({ kind }) => {
    // Its own remote: R is the whole mount, where a client keeps its own entries (davfs2's lost+found).
    const own = await startRemote(kind);
    try {
      const p = await newPair(own, 'root', { root: true });
      await serverChanges(own, p, { 'a.txt': 'at the root', 'd/b.txt': 'in a folder' });
      await syncMode(p, false);
      assert.deepEqual(
        await readSpec(p.local),
        { 'a.txt': 'at the root', d: { dir: true }, 'd/b.txt': 'in a folder' },
        'only the entries of the server are synced',
      );
      await assertSettled(p, false);
    } finally {
      await own.stop();
    }
  },

  'unmount and remount': async ({ remote }) => {
    const p = await seeded(remote, 'remount', { 'keep.txt': 'kept', 'sub/deep.txt': 'deep' });
    const run = startPairRun(remote, p, 'remount', ['-L', 'n', '--interval', '1']);
    try {
      await remote.unmount();
      await waitWhileRunning(
        run,
        () => logLines(run.logFile).some((l) => /remote unavailable/i.test(l.msg ?? '')),
        'the pair to pause with "remote unavailable"',
        30_000,
      );
      assert.deepEqual(await readSpec(p.local), {
        'keep.txt': 'kept',
        sub: { dir: true },
        'sub/deep.txt': 'deep',
      });
      await writeFileAt(p.local, 'keep.txt', 'edited while the remote was away', LATER);
      await remote.mount();
      await serverHas(remote, p, { 'keep.txt': 'edited while the remote was away', 'sub/deep.txt': 'deep' });
      assert.deepEqual(await run.stop('SIGTERM', 30_000), { code: 0, signal: null });
    } finally {
      run.kill('SIGKILL');
      if (!remote.isMounted()) await remote.mount();
    }
    // `sync` while the remote is away: it says so, fails, and deletes nothing.
    await remote.unmount();
    try {
      const r = await syncRaw(p, ['-L', 'n']);
      assert.notEqual(r.code, 0, describeResult(r));
      assert.match(`${r.stdout}\n${r.stderr}`, /remote unavailable/i);
      assert.ok(await exists(p.local, 'sub/deep.txt'), 'nothing is deleted locally');
    } finally {
      await remote.mount();
    }
    await waitInSync(remote, p);
    // After a remount the mount may show other mtimes or modes than before (davfs2 shows its upload times):
    // a pass may compare bytes, but it downloads nothing, and then nothing is left to do.
    const again = await syncRaw(p, ['-L', 'n']);
    assert.equal(again.code, 0, describeResult(again));
    assert.match(again.stdout, /synced: 0 downloaded,/, describeResult(again));
    await assertSettled(p, false);
  },
};

/** A pair whose files were written on the server (mtime BASE) and synced down eagerly. */
async function seeded(remote: Remote, name: string, spec: Record<string, string>): Promise<Pair> {
  const p = await pairOn(remote, name);
  await serverChanges(remote, p, spec, BASE);
  await syncMode(p, false);
  await waitInSync(remote, p);
  return p;
}

function kindsToRun(): RemoteKind[] {
  const only = process.env.LAZYSYNC_MATRIX_KINDS;
  if (only === undefined || only === '') return [...REMOTE_KINDS];
  const kinds = only.split(',').map((k) => k.trim());
  const unknown = kinds.filter((k) => !isRemoteKind(k));
  if (unknown.length > 0) throw new Error(`LAZYSYNC_MATRIX_KINDS: unknown kinds ${unknown.join(', ')}`);
  return kinds.filter(isRemoteKind);
}

/** Scenarios that take the whole remote away, run alone after the others. */
const EXCLUSIVE: ReadonlySet<Scenario> = new Set(['unmount and remount']);

/** Scenarios of one kind that run at once: each waits mostly on the mount's caches, not on the CPU. */
const CONCURRENCY = 4;

for (const kind of kindsToRun()) {
  describe(`remote matrix: ${kind}`, { timeout: 600_000 }, () => {
    let remote: Remote | undefined;
    before(async () => {
      remote = await startRemote(kind);
      console.log(`# ${kind}: ${remote.options}`);
    });
    after(async () => {
      await killAllCli();
      await remote?.stop();
    });
    const row = (scenario: Scenario): void => {
      it(scenario, async () => {
        assert.ok(remote !== undefined, `the ${kind} remote did not start`);
        await RUNNERS[scenario]({ kind, remote });
      });
    };
    describe('each in its own folder', { concurrency: CONCURRENCY }, () => {
      for (const scenario of SCENARIOS) if (!EXCLUSIVE.has(scenario)) row(scenario);
    });
    for (const scenario of SCENARIOS) if (EXCLUSIVE.has(scenario)) row(scenario);
  });
}
