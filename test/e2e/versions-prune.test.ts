// Pruning versions through the real CLI and daemon on an sshfs remote: `prune` with a rule for this once
// removes what the rule no longer keeps on both sides (and `status --json` counts it), a dry run changes
// nothing, another pair's versions in the same remote folder are left alone, a pair's saved rule prunes
// after its passes, bad values change nothing, and a gone remote (unmounted, or its marker missing) is
// refused with nothing removed.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  describeResult,
  killAllCli,
  linesOf,
  newPair,
  startRemote,
  sync,
  writeTree,
  type Pair,
  type Remote,
} from '../fixture/index.js';
import { logLines, specOf, startDaemon, type Daemon, type PairSpec } from '../fixture/daemon.js';
import {
  editLocal,
  editServer,
  rescanUntil,
  textOf,
  versionFiles,
  versionTextsOf,
  versionsUsage,
} from '../fixture/versions.js';

type Spec = Omit<PairSpec, 'remote' | 'local' | 'name'>;

/** The one error line of a refused command, and its exit code. */
function assertRefused(r: { code: number; stdout: string; stderr: string }, code: number, re: RegExp): void {
  assert.equal(r.code, code, describeResult(r));
  assert.equal(linesOf(r.stderr).length, 1, `one line:\n${describeResult(r)}`);
  assert.match(r.stderr.trim(), re, describeResult(r));
}

describe('versions: prune on a real remote', { timeout: 300_000 }, () => {
  let remote: Remote;
  let d: Daemon;
  const pairs: Record<string, Pair> = {};
  /** Eager pairs (local copies, so both sides make versions), a pass only when asked or on a local change. */
  const specs: [string, Spec][] = [
    ['count', {}],
    ['shared-a', {}],
    ['shared-b', {}],
    ['auto', { versions_max_count: 2 }],
  ];

  before(async () => {
    remote = await startRemote();
    for (const [name] of specs) {
      if (name === 'shared-b') continue;
      pairs[name] = await newPair(remote, `prune-${name}`);
    }
    // A second pair of the same remote folder, with a local folder of its own (another machine).
    const a = pairs['shared-a']!;
    pairs['shared-b'] = { ...a, local: join(remote.base, 'local-prune-shared-b') };
    await writeTree(pairs.count!.server, { 'x.txt': 'x0', 'sub/y.txt': 'y0' });
    await writeTree(a.server, { 's.txt': 's0' });
    await writeTree(pairs.auto!.server, { 'f.txt': 'f0' });
    d = await startDaemon({
      pairs: specs.map(([name, o]) => specOf(pairs[name]!, name, { lazy: false, interval: 3600, ...o })),
    });
    for (const [name] of specs) await d.waitPass(name);
  });
  after(async () => {
    await d?.stop().catch(() => undefined);
    await d?.dispose();
    await killAllCli();
    await remote?.stop();
  });

  it('prune --versions-max-count 1 keeps the newest version of each file on both sides; a dry run first changes nothing', async () => {
    const p = pairs.count!;
    // Remote versions of x.txt (each upload keeps what the server held), local ones of sub/y.txt (each
    // download keeps what the local copy held).
    for (const text of ['x1', 'x22', 'x333']) await editLocal(d, 'count', p, 'x.txt', text);
    for (const text of ['y1', 'y22']) await editServer(d, 'count', p, 'sub/y.txt', text);
    assert.deepEqual(await versionTextsOf(p.server, 'x.txt'), ['x0', 'x1', 'x22']);
    assert.deepEqual(await versionTextsOf(p.local, 'sub/y.txt'), ['y0', 'y1']);
    assert.deepEqual(await versionsUsage(d, 'count'), {
      local: { count: 2, bytes: 4 },
      remote: { count: 3, bytes: 7 },
    });
    const server = await versionFiles(p.server);
    const local = await versionFiles(p.local);

    const dry = await d.ok(['prune', 'count', '--dry-run', '--versions-max-count', '1']);
    const [header, ...rows] = linesOf(dry.stdout);
    assert.match(header ?? '', /^SIDE\s+MADE\s+SIZE\s+WHY\s+PATH\s+VERSION$/, dry.stdout);
    assert.equal(rows.length, 4, dry.stdout);
    assert.equal(rows.filter((r) => /^remote\s.*\sx\.txt\s+\.lazysync\/versions\/x~/.test(r)).length, 2);
    assert.equal(
      rows.filter((r) => /^local\s.*\ssub\/y\.txt\s+\.lazysync\/versions\/sub\/y~/.test(r)).length,
      1,
    );
    assert.equal(
      rows.at(-1),
      'count: would remove 3 versions: 1 local (2 B), 2 remote (4 B); rule: beyond 1 per file',
      dry.stdout,
    );
    assert.deepEqual(await versionFiles(p.server), server, 'a dry run removes nothing on the server');
    assert.deepEqual(await versionFiles(p.local), local, 'a dry run removes nothing locally');

    const r = await d.ok(['prune', 'count', '--versions-max-count', '1']);
    assert.equal(
      r.stdout.trim(),
      'count: removed 3 versions: 1 local (2 B), 2 remote (4 B); rule: beyond 1 per file',
      describeResult(r),
    );
    assert.deepEqual(await versionTextsOf(p.server, 'x.txt'), ['x22'], 'the newest remote version of x.txt');
    assert.deepEqual(await versionTextsOf(p.local, 'sub/y.txt'), ['y1'], 'the newest local version of y.txt');
    assert.equal((await versionFiles(p.server)).size, 1);
    assert.equal((await versionFiles(p.local)).size, 1);
    assert.deepEqual(await versionsUsage(d, 'count'), {
      local: { count: 1, bytes: 2 },
      remote: { count: 1, bytes: 3 },
    });
    for (const root of [p.local, p.server]) {
      assert.equal(await textOf(root, 'x.txt'), 'x333', 'the files themselves are left');
      assert.equal(await textOf(root, 'sub/y.txt'), 'y22', 'the files themselves are left');
    }
    const again = await d.ok(['prune', 'count', '--versions-max-count', '1']);
    assert.match(again.stdout, /^count: removed 0 versions: 0 local \(0 B\), 0 remote \(0 B\)/, again.stdout);
  });

  it('a second pair of the same remote folder keeps its versions when the first prunes; then it prunes its own', async () => {
    const [a, b] = [pairs['shared-a']!, pairs['shared-b']!];
    for (const text of ['a1', 'a22']) await editLocal(d, 'shared-a', a, 's.txt', text);
    // B (still holding s0) downloads A's edit, keeping s0 as a local version, and edits twice itself.
    await rescanUntil(d, 'shared-b', b, 's.txt', 'a22');
    for (const text of ['b333', 'b4444']) await editLocal(d, 'shared-b', b, 's.txt', text);
    assert.deepEqual(await versionTextsOf(a.server, 's.txt'), ['a1', 'a22', 'b333', 's0']);
    assert.deepEqual(await versionTextsOf(b.local, 's.txt'), ['s0']);
    const serverBefore = await versionFiles(a.server);

    const r = await d.ok(['prune', 'shared-a', '--versions-max-count', '1']);
    assert.match(r.stdout, /^shared-a: removed 1 version: 0 local \(0 B\), 1 remote \(2 B\)/, r.stdout);
    assert.deepEqual(
      await versionTextsOf(a.server, 's.txt'),
      ['a1', 'a22', 'b333'],
      "only A's older version (s0) is gone: B's two are left",
    );
    for (const [rel, f] of await versionFiles(a.server)) {
      assert.deepEqual(f, serverBefore.get(rel), `${rel} is untouched`);
    }
    assert.deepEqual(await versionTextsOf(b.local, 's.txt'), ['s0'], "B's local version is untouched");
    assert.deepEqual((await versionsUsage(d, 'shared-b')).remote, { count: 2, bytes: 7 });

    const rb = await d.ok(['prune', 'shared-b', '--versions-max-count', '1']);
    assert.match(rb.stdout, /^shared-b: removed 1 version: 0 local \(0 B\), 1 remote \(3 B\)/, rb.stdout);
    assert.deepEqual(await versionTextsOf(a.server, 's.txt'), ['a1', 'b333']);
    assert.deepEqual(await versionTextsOf(b.local, 's.txt'), ['s0']);
    assert.equal(await textOf(a.server, 's.txt'), 'b4444');
  });

  it("the daemon prunes by a pair's saved rule after the passes that made versions", async () => {
    const p = pairs.auto!;
    for (const text of ['f1', 'f22', 'f333', 'f4444']) await editLocal(d, 'auto', p, 'f.txt', text);
    await d.waitFor(
      async () => (await versionTextsOf(p.server, 'f.txt')).join() === 'f22,f333',
      'only the 2 newest versions of f.txt left on the server',
    );
    assert.deepEqual((await versionsUsage(d, 'auto')).remote, { count: 2, bytes: 7 });
    assert.ok(
      logLines(d.logFile).some((l) => l.pair === 'auto' && /^pruned remote /.test(l.msg ?? '')),
      'the daemon logs what it pruned',
    );
    // Without rule flags, each pair's own rule (or none).
    const r = await d.ok(['prune']);
    assert.match(r.stdout, /^auto: removed 0 versions: .*; rule: beyond 2 per file$/m, r.stdout);
    assert.match(r.stdout, /^count: no retention rule, every version is kept/m, r.stdout);
    assert.deepEqual(await versionTextsOf(p.server, 'f.txt'), ['f22', 'f333']);
  });

  it('bad values exit 2 with one line and remove nothing', async () => {
    const server = await versionFiles(pairs['shared-a']!.server);
    for (const [flag, value] of [
      ['--versions-max-count', '0'],
      ['--versions-max-count', 'many'],
      ['--versions-max-age', 'soon'],
      ['--versions-max-total', '12Q'],
      ['--versions-staggered', 'maybe'],
    ] as const) {
      const r = await d.cli(['prune', 'shared-a', flag, value]);
      assertRefused(r, 2, new RegExp(`${flag}.*${value}`));
      assert.equal(r.stdout, '', describeResult(r));
    }
    assert.deepEqual(await versionFiles(pairs['shared-a']!.server), server);
  });
});

describe('versions: `sync` with a retention rule', { timeout: 120_000 }, () => {
  it('prunes after its pass and says so when it removed any', async () => {
    const remote = await startRemote();
    try {
      const p = await newPair(remote, 'sync');
      await writeTree(p.server, { 'n.txt': 'n0' });
      await sync(p, '-L', 'n');
      const rule = ['-L', 'n', '--versions-max-count', '1'];
      await writeFile(join(p.local, 'n.txt'), 'n11');
      const first = await sync(p, ...rule);
      assert.doesNotMatch(first.stdout, /pruned versions/, 'one version each: nothing to prune');
      await writeFile(join(p.local, 'n.txt'), 'n222');
      const second = await sync(p, ...rule);
      assert.match(second.stdout, /^pruned versions: 0 \(0 B\) local, 1 \(2 B\) remote$/m, second.stdout);
      assert.deepEqual(await versionTextsOf(p.server, 'n.txt'), ['n11']);
      assert.equal(await textOf(p.server, 'n.txt'), 'n222');
    } finally {
      await killAllCli();
      await remote.stop();
    }
  });
});

describe('versions: prune on a remote that is gone', { timeout: 120_000 }, () => {
  it('is refused while unmounted or unmarked, removing nothing on either side; once back, it prunes', async () => {
    const remote = await startRemote();
    let d: Daemon | undefined;
    try {
      const p = await newPair(remote, 'gone');
      await writeTree(p.server, { 'g.txt': 'g0' });
      d = await startDaemon({ pairs: [specOf(p, 'gone', { lazy: false, interval: 3600 })] });
      await d.waitPass('gone');
      for (const text of ['g1', 'g22']) await editLocal(d, 'gone', p, 'g.txt', text);
      await editServer(d, 'gone', p, 'g.txt', 'g333');
      const server = await versionFiles(p.server);
      const local = await versionFiles(p.local);
      assert.equal(server.size, 2);
      assert.equal(local.size, 1);
      // Every version is over a budget of 1 byte per side.
      const prune = ['prune', 'gone', '--versions-max-total', '1'];

      await remote.unmount();
      const off = await d.cli(prune);
      assertRefused(off, 1, /^lazysync: gone: remote unavailable: .*; nothing pruned$/);
      assert.equal(off.stdout, '', describeResult(off));
      assert.deepEqual(await versionFiles(p.local), local, 'nothing removed locally');
      assert.deepEqual(await versionFiles(p.server), server, 'nothing removed on the server');

      await remote.mount();
      await rename(join(p.server, '.lazysync'), join(p.server, 'lazysync-aside'));
      const unmarked = await d.cli(prune);
      assertRefused(
        unmarked,
        1,
        /^lazysync: gone: remote unavailable: its marker .* is missing.*; nothing pruned$/,
      );
      assert.deepEqual(await versionFiles(p.local), local, 'nothing removed locally');
      await rename(join(p.server, 'lazysync-aside'), join(p.server, '.lazysync'));
      assert.deepEqual(await versionFiles(p.server), server, 'nothing removed on the server');

      const r = await d.ok(prune);
      assert.equal(
        r.stdout.trim(),
        'gone: removed 3 versions: 1 local (3 B), 2 remote (4 B); rule: beyond 1 B per side',
        describeResult(r),
      );
      assert.equal((await versionFiles(p.server)).size, 0);
      assert.equal((await versionFiles(p.local)).size, 0);
      assert.equal(await textOf(p.server, 'g.txt'), 'g333');
      assert.equal(await textOf(p.local, 'g.txt'), 'g333');
    } finally {
      await d?.stop().catch(() => undefined);
      await d?.dispose();
      await killAllCli();
      await remote.stop();
    }
  });
});
