// Passes that move folders, killed with SIGKILL at their 1st, 2nd, ... Kth filesystem or archive step
// (LAZYSYNC_FAULT_STEP, src/fault.ts). Eager: a 5-file folder moved locally and a 3-file folder moved on the
// server; lazy: a folder of 5 placeholders moved locally. After each kill at most two ordinary passes
// converge to what a pass not killed gives, with every file's content at exactly one live path on each side
// (no second copy of a folder), no temp file and an empty journal. The method is crash-steps.test.ts's, on
// a scenario small enough to run at every step in seconds.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import Database from 'better-sqlite3';
import { pairConfigFrom } from '../../src/config.js';
import { Pair as Engine } from '../../src/engine/pair.js';
import { silentLogger } from '../../src/log.js';
import {
  describeOutput,
  killAllCli,
  newPair,
  nowSec,
  readTree,
  spawnCli,
  walk,
  type BinPath,
  type Pair,
  type Remote,
  type TreeEntry,
} from '../fixture/index.js';
import { NOCACHE_SSHFS_OPTIONS, startRemote } from '../fixture/remote.js';
import { assertRenamedInPlace, folderOf, inodes, moveOf, mv, seedServer } from '../fixture/moves.js';

const execFileP = promisify(execFile);
const BASE = nowSec() - 7200;
const TEMP_PREFIX = '.lazysync-tmp-';
const SEED = { ...folderOf('album', 5, 2), ...folderOf('docs', 3), 'keep.txt': 'not moved\n' };
/** Crash runs going at once, each on its own pair: the work is mostly waiting on sshfs round trips. */
const LANES = 2;

interface Lane {
  p: Pair;
  lazy: boolean;
}

/** Inode numbers of the files of both sides once synced, before the moves. */
interface Inodes {
  server: Map<BinPath, number>;
  local: Map<BinPath, number>;
}

/**
 * The lane's pair made again from nothing: the seed written on the server and synced (a pass in this
 * process), then album moved locally (and in eager mode docs on the server). Made anew for every run, not
 * restored from a copy: a copied folder would have another inode number than the archive's, and the pass
 * would then move its files one by one instead of renaming the folder.
 */
async function fresh(l: Lane): Promise<Inodes> {
  await execFileP('rm', ['-rf', l.p.server, l.p.local]);
  await mkdir(l.p.server);
  await seedServer(l.p, SEED, BASE);
  const first = await passHere(l, false);
  assert.deepEqual([first.status, first.problems], ['done', 0], 'the first sync');
  const before = { server: await inodes(l.p.server), local: await inodes(l.p.local) };
  await mv(l.p.local, 'album', 'album-2026');
  if (!l.lazy) await mv(l.p.server, 'docs', 'papers');
  return before;
}

/** One ordinary pass in this process (or its dry run): what `lazysync sync` does after Pair.open. */
async function passHere(
  l: Lane,
  dryRun: boolean,
): Promise<{ status: string; problems: number; plan: string[] }> {
  const raw = { remote: l.p.remote, local: l.p.local, lazy: l.lazy ? 'y' : 'n', dryRun };
  const pair = await Engine.open(pairConfigFrom(raw, true), silentLogger(), dryRun);
  const plan: string[] = [];
  try {
    const o = await pair.pass({ dryRun, confirmDeletes: false, print: (line) => plan.push(line) });
    return { status: o.status, problems: o.status === 'done' ? o.problems : -1, plan };
  } finally {
    pair.close();
  }
}

/**
 * The converged tree (path -> what it holds), after checking that both sides agree: a local placeholder
 * of its own path stands for the server's file there.
 */
async function converged(l: Lane, what: string): Promise<Map<BinPath, string>> {
  const local = await readTree(l.p.local, { skipLazysync: true });
  const server = await readTree(l.p.server, { skipLazysync: true });
  const show = (e: TreeEntry | undefined): string =>
    e === undefined
      ? 'absent'
      : e.kind === 'file'
        ? `file ${JSON.stringify(e.content.toString('utf8'))}`
        : e.kind === 'symlink'
          ? `symlink ${e.target}`
          : 'dir';
  const diffs: string[] = [];
  const out = new Map<BinPath, string>();
  for (const rel of [...new Set([...local.keys(), ...server.keys()])].sort()) {
    const [lo, se] = [local.get(rel), server.get(rel)];
    const placeholder = lo?.kind === 'symlink' && lo.target === `${l.p.remote}/${rel}` && se?.kind === 'file';
    if (l.lazy && lo?.kind === 'file') diffs.push(`${rel}: a local copy, not a placeholder`);
    if (!placeholder && show(lo) !== show(se)) diffs.push(`${rel}: local ${show(lo)}, server ${show(se)}`);
    out.set(rel, show(se));
  }
  assert.deepEqual(diffs, [], `${what}: the two sides differ`);
  return out;
}

/** Each seed file's content, at how many live paths (outside .lazysync) of `root` it is. */
async function copiesOf(root: string): Promise<Record<string, number>> {
  const tree = await readTree(root, { skipLazysync: true });
  const out: Record<string, number> = {};
  for (const [rel, content] of Object.entries(SEED)) {
    out[rel] = [...tree.values()].filter((e) => e.kind === 'file' && e.content.toString() === content).length;
  }
  return out;
}

async function temps(l: Lane): Promise<BinPath[]> {
  const out: BinPath[] = [];
  for (const root of [l.p.local, l.p.server]) {
    for (const rel of (await walk(root)).keys()) {
      if (rel.slice(rel.lastIndexOf('/') + 1).startsWith(TEMP_PREFIX)) out.push(`${root}/${rel}`);
    }
  }
  return out;
}

/** Rows left in the archive's journal, plan spool and problems. */
function leftovers(l: Lane): Record<string, number> {
  const db = new Database(join(l.p.local, '.lazysync', 'state.db'), { readonly: true });
  try {
    const n = (t: string): number => (db.prepare(`SELECT count(*) AS n FROM ${t}`).get() as { n: number }).n;
    return { journal: n('journal'), plan: n('plan'), problems: n('problems') };
  } finally {
    db.close();
  }
}

/** A pass killed at step `n` (none: not killed, traced to `trace`), then passes until none plans anything. */
async function crashAndRecover(
  l: Lane,
  ino: Inodes,
  n: number | undefined,
  trace: string,
): Promise<Map<BinPath, string>> {
  const env: NodeJS.ProcessEnv = { LAZYSYNC_FAULT_TRACE: trace };
  if (n !== undefined) env.LAZYSYNC_FAULT_STEP = String(n);
  const run = spawnCli(['sync', '-r', l.p.remote, '-l', l.p.local, '-L', l.lazy ? 'y' : 'n'], { env });
  const exit = await run.exited;
  const killed = exit.signal === 'SIGKILL';
  if (!killed)
    assert.equal(exit.code, 0, `step ${n ?? '-'}: the pass failed\n${describeOutput(run.output())}`);
  const label = killed ? ((await readFile(trace, 'utf8')).trimEnd().split('\n').at(-1) ?? '?') : 'finished';
  const what = `step ${n ?? '-'} (${label})`;
  for (let passes = 0; ;) {
    if (passes < 2) {
      passes++;
      const o = await passHere(l, false);
      assert.deepEqual([o.status, o.problems], ['done', 0], `${what}: pass ${passes} after the kill`);
    }
    const dry = await passHere(l, true);
    if (dry.plan.length === 0) break;
    assert.ok(passes < 2, `${what}: still planned after ${passes} passes:\n${dry.plan.join('\n')}`);
  }
  const tree = await converged(l, what);
  const once = Object.fromEntries(Object.keys(SEED).map((rel) => [rel, 1]));
  assert.deepEqual(await copiesOf(l.p.server), once, `${what}: server copies of each file`);
  if (!l.lazy) assert.deepEqual(await copiesOf(l.p.local), once, `${what}: local copies of each file`);
  // A kill never turns a move into a copy: the moved files are the same files on the side that followed.
  await assertRenamedInPlace(l.p.server, ino.server, moveOf('album', 'album-2026'), `${what}: server`);
  if (!l.lazy) await assertRenamedInPlace(l.p.local, ino.local, moveOf('docs', 'papers'), `${what}: local`);
  assert.deepEqual(await temps(l), [], `${what}: temp files left`);
  assert.deepEqual(leftovers(l), { journal: 0, plan: 0, problems: 0 }, `${what}: archive rows left`);
  return tree;
}

async function everyStep(t: { diagnostic(m: string): void }, remote: Remote, lazy: boolean): Promise<void> {
  const started = Date.now();
  const mode = lazy ? 'lazy' : 'eager';
  const lanes: Lane[] = [];
  for (let i = 0; i < LANES; i++) lanes.push({ p: await newPair(remote, `crash-${mode}-${i}`), lazy });
  const first = lanes[0] as Lane;
  const traceFile = join(remote.base, `trace-${mode}.txt`);
  const reference = await crashAndRecover(first, await fresh(first), undefined, traceFile);
  const steps = (await readFile(traceFile, 'utf8')).trimEnd().split('\n');
  const tops = [...new Set([...reference.keys()].map((rel) => rel.split('/')[0]))];
  const expected = ['album-2026', lazy ? 'docs' : 'papers', 'keep.txt'].sort();
  assert.deepEqual(tops, expected, 'the pass not killed did not move the folders');

  let next = 1;
  await Promise.all(
    lanes.map(async (l, i) => {
      for (let n = next++; n <= steps.length; n = next++) {
        const ino = await fresh(l);
        const tree = await crashAndRecover(l, ino, n, join(remote.base, `trace-${mode}-${i}-${n}.txt`));
        assert.deepEqual(
          tree,
          reference,
          `step ${n} (${steps[n - 1]}): another result than a pass not killed`,
        );
      }
    }),
  );
  t.diagnostic(`${mode}: ${steps.length} steps, each killed and recovered, in ${Date.now() - started} ms`);
  const kinds = new Map<string, number>();
  for (const s of steps) {
    const label = s.replace(/^\d+ /, '').replace(/ ".*$/, '');
    kinds.set(label, (kinds.get(label) ?? 0) + 1);
  }
  t.diagnostic(`${mode}: ${[...kinds].map(([k, n]) => `${n}x ${k}`).join('; ')}`);
}

describe('a move interrupted at every step', { timeout: 300_000 }, () => {
  let remote: Remote;
  before(async () => {
    // Caches off: each run makes its pair anew on the server, and its passes must see that at once.
    remote = await startRemote({ sshfsOptions: NOCACHE_SSHFS_OPTIONS });
  });
  after(async () => {
    await killAllCli();
    await remote.stop();
  });

  it('eager: a folder moved locally and one on the server; after a kill at any step both sides converge, nothing doubled', async (t) => {
    await everyStep(t, remote, false);
  });

  it('lazy: a folder of placeholders moved locally; the same after a kill at any step', async (t) => {
    await everyStep(t, remote, true);
  });
});
