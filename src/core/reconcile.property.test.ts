// Property-based tests of the pure core (decide + Planner) against an in-memory model of both roots and the
// executor (test/model/): random first syncs, edits on both sides, stopped passes, eager and lazy policies.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { mtimeSeconds } from './changes.js';
import { isDeletion } from './guard.js';
import { isWithin } from './paths.js';
import { Planner } from './planner.js';
import type { Action, ArchiveRecord, Entry, Side } from './types.js';
import {
  archiveMismatches,
  blobs,
  disagreements,
  edits,
  holds,
  lost,
  vanished,
} from '../../test/model/checks.js';
import { applyOps, NOW, policyOf, scenario, type Scenario, type UserOp } from '../../test/model/scenario.js';
import { other, World, type PassResult } from '../../test/model/world.js';

/** Runs and seed: fixed by default so a failure reproduces; FC_SEED / FC_RUNS override them. */
const RUNS = Number(process.env['FC_RUNS'] ?? 1000);
const SEED = Number(process.env['FC_SEED'] ?? 20240517);
const params = { numRuns: RUNS, seed: SEED, includeErrorInReport: true };

const brief = (a: Action): string => `${a.op}${'side' in a ? `:${a.side}` : ''} ${a.path}`;

function fail(what: string, w: World, r: PassResult, details: unknown): never {
  const state = {
    local: Object.fromEntries(w.local),
    remote: Object.fromEntries(w.remote),
    plan: r.plan.map(brief),
  };
  throw new Error(`${what}: ${JSON.stringify(details)}\n${JSON.stringify(state)}`);
}

/** The sides an action changes. */
function sidesOf(a: Action): Side[] {
  switch (a.op) {
    case 'download':
    case 'placeholder':
      return ['local'];
    case 'upload':
      return ['remote'];
    case 'mkdir':
    case 'symlink':
    case 'remove':
      return [a.side];
    case 'conflict':
      return ['local', 'remote'];
    case 'record':
    case 'forget':
      return [];
  }
}

/**
 * The Planner's ordering contract, checked on the plan alone: on each side a directory is created before
 * anything below it, and removed or replaced by a non-directory only after everything below it.
 */
function orderProblems(plan: Action[]): string[] {
  const out: string[] = [];
  plan.forEach((a, i) => {
    for (const [j, b] of plan.entries()) {
      if (b.path === a.path || !isWithin(a.path, b.path) || b.op === 'record' || b.op === 'forget') continue;
      const shared = sidesOf(a).filter((s) => sidesOf(b).includes(s));
      for (const side of shared) {
        if (j > i && b.op === 'mkdir') out.push(`${brief(a)} before the mkdir:${side} of its folder`);
        if (j < i && b.op !== 'mkdir' && b.op !== 'conflict' && b[side]?.kind === 'dir') {
          out.push(`${brief(a)} after ${brief(b)} removed or replaced its folder`);
        }
      }
    }
  });
  return out;
}

/** One pass with every check that holds for any pass, finished or stopped. */
function checkedPass(w: World, limit = Infinity): PassResult {
  const before = blobs(w, false);
  const trees = { local: new Map(w.local), remote: new Map(w.remote) };
  const r = w.pass(limit);
  const order = orderProblems(r.plan);
  if (order.length > 0) fail('the plan is out of order', w, r, order);
  if (r.anomalies.length > 0) fail('the executor would fail or skip an action', w, r, r.anomalies);
  const gone = lost(before, w);
  if (gone.length > 0) fail('data lost', w, r, gone);
  if (r.applied === r.plan.length) {
    // Every non-directory gone from its path was removed by an action the mass-delete guard counts.
    for (const side of ['local', 'remote'] as const) {
      const counted = new Set(r.plan.filter((a) => isDeletion(a) && a.side === side).map((a) => a.path));
      const uncounted = vanished(trees[side], w, side).filter((p) => !counted.has(p));
      if (uncounted.length > 0)
        fail(`deletions on the ${side} side the guard does not count`, w, r, uncounted);
    }
  }
  return r;
}

/** Runs a scenario; after each full pass, both sides agree, the archive matches, and a new pass plans nothing. */
function run(s: Scenario): void {
  const w = new World(policyOf(s), NOW);
  let second = 1_700_000_000;
  for (const round of s.rounds) {
    second++;
    applyOps(w, 'local', round.local, second);
    applyOps(w, 'remote', round.remote, second);
    if (round.cut !== null) checkedPass(w, round.cut);
    const changed = edits(w);
    const r = checkedPass(w);
    // An edit or creation wins over a deletion and survives a conflict (under a conflict name): it ends up
    // on the remote, and locally too unless placeholders stand for remote files (lazy mode).
    for (const e of changed) {
      if (!holds(w, 'remote', e) || (!s.lazy && !holds(w, 'local', e))) {
        fail(`an edit (${e.side} ${e.path}) did not reach both sides`, w, r, e.node);
      }
    }
    const diff = disagreements(w);
    if (diff.length > 0) fail('the sides do not agree after a pass', w, r, diff);
    const arch = archiveMismatches(w);
    if (arch.length > 0) fail('the archive does not match the sides', w, r, arch);
    const again = w.plan();
    if (again.length > 0) fail('a second pass plans more', w, r, again.map(brief));
  }
}

// ---- Symmetry: in eager mode, with no inode numbers, swapping the sides swaps the plan ----

type Triple = ReturnType<World['triples']>[number];

const noIno = (e: Entry | undefined): Entry | undefined => e && { ...e, ino: 0 };

function sidesSwapped(t: Triple): Triple {
  const archive: ArchiveRecord | undefined = t.archive && {
    path: t.path,
    local: { ...t.archive.remote },
    remote: { ...t.archive.local, ino: 0 },
  };
  return { path: t.path, archive, local: t.remote, remote: noIno(t.local) };
}

function withoutIno(t: Triple): Triple {
  const archive = t.archive && { ...t.archive, local: { ...t.archive.local, ino: 0 } };
  return { path: t.path, archive, local: noIno(t.local), remote: t.remote };
}

function planOf(triples: Triple[], w: World): Action[] {
  const planner = new Planner(w.policy);
  const out = triples.flatMap((t) => planner.push(t.path, t.archive, t.local, t.remote));
  return [...out, ...planner.finish()];
}

/** Both entries of an action, each under the other side's name. */
function swapped(a: { local?: Entry; remote?: Entry }): { local?: Entry; remote?: Entry } {
  return {
    ...(a.remote !== undefined && { local: a.remote }),
    ...(a.local !== undefined && { remote: a.local }),
  };
}

/** The same action with the sides exchanged; a conflict between equal seconds (a tie) has no winner. */
function swapAction(a: Action): unknown {
  switch (a.op) {
    case 'download':
      return { op: 'upload', path: a.path, ...swapped(a) };
    case 'upload':
      return { op: 'download', path: a.path, ...swapped(a) };
    case 'placeholder':
      throw new Error('no placeholders in eager mode');
    case 'mkdir':
    case 'remove':
      return { op: a.op, side: other(a.side), path: a.path, ...swapped(a) };
    case 'symlink':
      return { op: a.op, side: other(a.side), path: a.path, target: a.target, ...swapped(a) };
    case 'conflict': {
      // In eager mode every remote file lands locally as a copy: the swapped remote is the old local.
      const { localCopy: _, ...rest } = a;
      const localCopy = a.local.kind === 'file';
      return untie({
        ...rest,
        local: a.remote,
        remote: a.local,
        winner: other(a.winner),
        ...(localCopy && { localCopy: true }),
      });
    }
    case 'record':
      return { op: a.op, path: a.path, local: a.remote, remote: a.local };
    case 'forget':
      return a;
  }
}

function untie(a: Action): unknown {
  if (a.op !== 'conflict' || a.local.kind === 'dir' || a.remote.kind === 'dir') return a;
  return mtimeSeconds(a.local) === mtimeSeconds(a.remote) ? { ...a, winner: 'tie' } : a;
}

function checkSymmetry(w: World): void {
  const triples = w.triples().map(withoutIno);
  const direct = planOf(triples, w).map(swapAction);
  const mirrored = planOf(triples.map(sidesSwapped), w).map(untie);
  assert.deepEqual(mirrored, direct);
}

describe('reconcile properties (model)', () => {
  it('no data lost, convergence, a second pass plans nothing, guard counts every deletion', () => {
    fc.assert(fc.property(scenario, run), params);
  });

  it('the plan is symmetric: swapping local and remote swaps the plan (eager mode, no inode numbers)', () => {
    // Placeholders exist only locally, so none here: no lazy mode and no `lazysync free`.
    const userOnly = (ops: UserOp[]): UserOp[] => ops.filter((o) => o.op !== 'free' && o.op !== 'hydrate');
    const eager = scenario.map((s) => ({
      ...s,
      lazy: false,
      rounds: s.rounds.map((r) => ({ ...r, local: userOnly(r.local) })),
    }));
    fc.assert(
      fc.property(eager, (s) => {
        const w = new World(policyOf(s), NOW);
        let second = 1_700_000_000;
        for (const round of s.rounds) {
          second++;
          applyOps(w, 'local', round.local, second);
          applyOps(w, 'remote', round.remote, second);
          checkSymmetry(w);
          w.pass(round.cut ?? Infinity);
          checkSymmetry(w);
        }
      }),
      { ...params, numRuns: Math.ceil(RUNS / 2) },
    );
  });

  it('the model itself: a scenario with edits on both sides conflicts and keeps both contents', () => {
    const w = new World(policyOf({ lazy: true, pinB: false }), NOW);
    w.userWrite('local', 'c.txt', 'a', 1, 0, false, false);
    w.userWrite('remote', 'c.txt', 'bb', 2, 0, false, false);
    const r = w.pass();
    assert.deepEqual(r.plan.map(brief), ['conflict c.txt']);
    assert.deepEqual(r.anomalies, []);
    assert.deepEqual([...w.local.keys()].sort(), ['c.conflict-20240517-093000.txt', 'c.txt']);
    assert.deepEqual(disagreements(w), []);
  });
});
