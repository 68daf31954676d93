// What was deleted, and folders put back, through the real CLI and daemon on an sshfs remote: `deleted`
// shows a deleted folder in one row, `restore FOLDER` brings its files back (and the next pass to the
// server), `restore FOLDER --at VERSION` puts each file back as it was then (same-second versions told apart
// by -N), --versions-skip-above keeps no version of a large file, and bad times change nothing.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import {
  describeResult,
  exists,
  killAllCli,
  linesOf,
  newPair,
  readSpec,
  startRemote,
  waitFor,
  writeTree,
  type Pair,
  type Remote,
} from '../fixture/index.js';
import { apiRequest, logLines, specOf, startDaemon, type Daemon, type PairSpec } from '../fixture/daemon.js';
import {
  editLocal,
  nextSecond,
  textOf,
  versionFiles,
  versionRows,
  versionTextsOf,
  type VersionRow,
} from '../fixture/versions.js';

type Spec = Omit<PairSpec, 'remote' | 'local' | 'name'>;
const WHEN = /\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC/.source;

/** A version's path inside the versions folder of its side, from the FILE column of `versions`. */
function inVersions(p: Pair, v: VersionRow): string {
  const dir = `${v.side === 'local' ? p.local : p.remote}/.lazysync/versions/`;
  assert.ok(v.file.startsWith(dir), `${v.file} is in ${dir}`);
  return v.file.slice(dir.length);
}

describe('versions: deleted, and folders restored', { timeout: 300_000 }, () => {
  let remote: Remote;
  let d: Daemon;
  const pairs: Record<string, Pair> = {};
  /** Eager pairs (local copies), a pass only when asked or on a local change. */
  const specs: [string, Spec][] = [
    ['del', { max_delete: 100 }],
    ['at', {}],
    ['skip', { versions_skip_above: '1K', max_delete: 100 }],
  ];

  before(async () => {
    remote = await startRemote();
    for (const [name] of specs) pairs[name] = await newPair(remote, `restore-${name}`);
    await writeTree(pairs.del!.server, {
      'keep.txt': 'kept',
      'proj/a.txt': 'alpha',
      'proj/c.txt': 'gamma!',
      'proj/sub/b.txt': 'beta',
    });
    await writeTree(pairs.at!.server, { 'doc/a.txt': 'a0', 'doc/b.txt': 'b0' });
    await writeTree(pairs.skip!.server, { 'big.bin': 'B'.repeat(4096), 'small.txt': 's' });
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

  /** The one version of `rel` (on `side`, if given) whose file holds `text`, as `versions` lists it. */
  async function versionHolding(p: Pair, rel: string, text: string, side?: string): Promise<VersionRow> {
    const rows = versionRows((await d.ok(['versions', join(p.local, rel)])).stdout);
    const found: VersionRow[] = [];
    for (const row of rows) {
      if ((side === undefined || row.side === side) && (await textOf(row.file, '')) === text) found.push(row);
    }
    assert.equal(found.length, 1, `one version of ${rel} holds ${text}: ${JSON.stringify(rows)}`);
    return found[0]!;
  }

  it('a folder deleted locally is one row of `deleted`; `restore FOLDER` brings every file back, and the next pass to the server', async () => {
    const p = pairs.del!;
    await rm(join(p.local, 'proj'), { recursive: true });
    await d.waitFor(async () => !(await exists(p.server, 'proj')), 'proj deleted on the server');
    await d.waitPair('del', (s) => s.state === 'idle', 'idle after the deletion');

    const all = await d.ok(['deleted']);
    const [header, ...rows] = linesOf(all.stdout);
    assert.match(header ?? '', /^PAIR\s+WHEN\s+VERSION\s+SIDE\s+SIZE\s+PATH$/, all.stdout);
    const ours = rows.filter((r) => r.startsWith('del '));
    assert.equal(ours.length, 1, `one row for the folder:\n${all.stdout}`);
    const row = new RegExp(
      `^del\\s+${WHEN}\\s+\\d{8}-\\d{6}(-\\d+)?\\s+remote\\s+15 B\\s+proj/ \\(3 files\\)$`,
    );
    assert.match(ours[0] ?? '', row, all.stdout);
    // Below the pair's folder: the same one row.
    const one = await d.ok(['deleted', p.local]);
    assert.deepEqual(linesOf(one.stdout).slice(1), ours, one.stdout);

    const r = await d.ok(['restore', join(p.local, 'proj')]);
    const lines = linesOf(r.stdout);
    for (const f of ['proj/a.txt', 'proj/c.txt', 'proj/sub/b.txt']) {
      const re = new RegExp(`^restored ${f.replace('.', '\\.')} from its remote version \\d{8}-\\d{6}`);
      assert.ok(
        lines.some((l) => re.test(l)),
        `${f} restored:\n${r.stdout}`,
      );
    }
    assert.equal(
      lines.at(-1),
      'restored 3 files in proj in del (the content they replaced was kept as versions)',
      r.stdout,
    );
    const expected = { 'proj/a.txt': 'alpha', 'proj/c.txt': 'gamma!', 'proj/sub/b.txt': 'beta' };
    for (const [rel, text] of Object.entries(expected)) assert.equal(await textOf(p.local, rel), text, rel);
    await d.waitFor(
      async () => JSON.stringify(await readSpec(p.server)) === JSON.stringify(await readSpec(p.local)),
      'the restored files uploaded',
    );
    assert.deepEqual(await readSpec(p.server), {
      'keep.txt': 'kept',
      proj: { dir: true },
      ...expected,
      'proj/sub': { dir: true },
    });
    await d.waitPair('del', (s) => s.state === 'idle', 'idle after the upload');
    const after = await d.ok(['deleted', p.local]);
    assert.equal(after.stdout.trim(), 'nothing deleted has versions', after.stdout);
    const again = await d.cli(['restore', join(p.local, 'proj')]);
    assert.equal(again.code, 2, describeResult(again));
    assert.match(again.stderr.trim(), /^lazysync: nothing to restore in proj: nothing in it is missing$/);
  });

  it('`restore FOLDER --at VERSION` puts each file back as it was then; same-second versions are told apart by -N', async () => {
    const p = pairs.at!;
    const [a, b] = ['doc/a.txt', 'doc/b.txt'];
    // Each upload keeps what the server held as a remote version, each in a second of its own.
    await editLocal(d, 'at', p, a, 'a1');
    await editLocal(d, 'at', p, b, 'b1');
    await editLocal(d, 'at', p, a, 'a22');
    await editLocal(d, 'at', p, b, 'b22');
    await editLocal(d, 'at', p, a, 'a333');
    const a1 = await versionHolding(p, a, 'a1'); // made when a22 replaced it: then b held b1
    const b0 = await versionHolding(p, b, 'b0'); // made when b1 replaced it: then a held a1
    const b1 = await versionHolding(p, b, 'b1');
    const folder = join(p.local, 'doc');

    const r = await d.ok(['restore', folder, '--at', a1.version]);
    assert.deepEqual(linesOf(r.stdout).slice(0, -1), [
      `restored doc/a.txt from its remote version ${a1.version}`,
      `restored doc/b.txt from its remote version ${b1.version}`,
    ]);
    assert.equal(
      linesOf(r.stdout).at(-1),
      `restored 2 files in doc in at as they were at ${a1.time} (the content they replaced was kept as versions)`,
    );
    assert.equal(await textOf(p.local, a), 'a1');
    assert.equal(await textOf(p.local, b), 'b1');
    assert.deepEqual(await versionTextsOf(p.local, a), ['a333'], 'the content it replaced is a version');
    assert.deepEqual(await versionTextsOf(p.local, b), ['b22'], 'the content it replaced is a version');
    await d.waitFor(
      async () => (await textOf(p.server, a)) === 'a1' && (await textOf(p.server, b)) === 'b1',
      'the restored files uploaded',
    );
    await d.waitPair('at', (s) => s.state === 'idle', 'idle after the upload');

    // a.txt already holds what it held then, and is left as it is.
    const aBefore = await stat(join(p.local, a));
    const r2 = await d.ok(['restore', folder, '--at', b0.version]);
    assert.match(r2.stdout, /^restored 1 file in doc in at as they were at /m, r2.stdout);
    assert.equal(await textOf(p.local, b), 'b0');
    assert.equal(await textOf(p.local, a), 'a1');
    assert.equal((await stat(join(p.local, a))).ino, aBefore.ino, 'a.txt was left as it was');
    await d.waitFor(async () => (await textOf(p.server, b)) === 'b0', 'b0 uploaded');
    await d.waitPair('at', (s) => s.state === 'idle', 'idle after the upload');

    // Two versions of b.txt in one second (paused: no upload adds remote versions meanwhile): what b.txt
    // holds is kept as STAMP when b1 is restored, and b1 as STAMP-1 when b22 is.
    await d.ok(['pause', 'at']);
    const b22 = await versionHolding(p, b, 'b22', 'local'); // kept by the first restore
    let made: VersionRow[] = [];
    let held = '';
    for (let attempt = 0; attempt < 5 && made.length === 0; attempt++) {
      held = await textOf(p.local, b);
      const before = new Set((await versionFiles(p.local)).keys());
      // Early in a second, so that both restores (a few ms each) fall in it.
      await nextSecond();
      await waitFor(() => Date.now() % 1000 < 300, 'the start of a second', 2000, 5);
      for (const at of [b1.version, b22.version]) {
        const body = JSON.stringify({ path: join(p.local, b), at });
        const res = await apiRequest(d.socket, 'POST', '/v1/restore', body);
        assert.equal(res.status, 200, res.text);
      }
      const rows = versionRows((await d.ok(['versions', join(p.local, b)])).stdout);
      const mine = rows.filter((v) => v.side === 'local' && !before.has(inVersions(p, v)));
      assert.equal(mine.length, 2, JSON.stringify(mine));
      if (mine[0]!.version === `${mine[1]!.version}-1`) made = mine;
    }
    assert.equal(made.length, 2, 'two restores in one second, in 5 tries');
    const [second, first] = made as [VersionRow, VersionRow];
    assert.match(second.file, /\/doc\/b~\d{8}-\d{6}-1\.txt$/, second.file);
    assert.equal(await textOf(first.file, ''), held);
    assert.equal(await textOf(second.file, ''), 'b1');
    assert.equal(await textOf(p.local, b), 'b22');

    const r3 = await d.ok(['restore', folder, '--at', second.version]);
    assert.match(r3.stdout, /^restored 1 file in doc in at /m, r3.stdout);
    assert.equal(await textOf(p.local, b), 'b1', `--at ${second.version}: between the two`);
    const r4 = await d.ok(['restore', folder, '--at', first.version]);
    assert.match(r4.stdout, /^restored 1 file in doc in at /m, r4.stdout);
    assert.equal(await textOf(p.local, b), held, `--at ${first.version}: before the two`);
    assert.equal(await textOf(p.local, a), 'a1', 'a.txt has not changed since');
    await d.ok(['resume', 'at']);
    await d.waitFor(async () => (await textOf(p.server, b)) === held, 'b.txt uploaded after resume');
  });

  it('--versions-skip-above: a large file overwritten or deleted leaves no version, a small one does', async () => {
    const p = pairs.skip!;
    await editLocal(d, 'skip', p, 'big.bin', 'C'.repeat(5000));
    await editLocal(d, 'skip', p, 'small.txt', 'S2');
    assert.deepEqual(await versionTextsOf(p.server, 'small.txt'), ['s']);
    assert.deepEqual(await versionTextsOf(p.server, 'big.bin'), [], 'no version of the large file');
    await rm(join(p.local, 'big.bin'));
    await d.waitFor(async () => !(await exists(p.server, 'big.bin')), 'big.bin deleted on the server');
    await d.waitPair('skip', (s) => s.state === 'idle', 'idle after the deletion');
    assert.equal((await versionFiles(p.server)).size, 1, 'only small.txt has a version');
    assert.equal((await versionFiles(p.local)).size, 0);
    const said = logLines(d.logFile).filter((l) => /^big\.bin: /.test(l.msg ?? ''));
    assert.deepEqual(
      said.map((l) => l.msg),
      [
        'big.bin: replaced on the remote without a version (4.0 KiB, above --versions-skip-above 1.0 KiB)',
        'big.bin: deleted on the remote without a version (4.9 KiB, above --versions-skip-above 1.0 KiB)',
      ],
    );
  });

  it('a time --at cannot read exits 2 with one line and changes nothing', async () => {
    const p = pairs.at!;
    const before = await readSpec(p.local);
    const versions = await versionFiles(p.local);
    for (const at of ['yesterday', '2026-13-45 10:15', '20261301-000000']) {
      const r = await d.cli(['restore', join(p.local, 'doc'), '--at', at]);
      assert.equal(r.code, 2, describeResult(r));
      assert.equal(linesOf(r.stderr).length, 1, describeResult(r));
      assert.match(r.stderr, /--at takes a version like \d{8}-\d{6}/, r.stderr);
      assert.ok(r.stderr.includes(`not '${at}'`), r.stderr);
    }
    assert.deepEqual(await readSpec(p.local), before);
    assert.deepEqual(await versionFiles(p.local), versions);
  });
});
