// The first half of a pass: the local walk, the remote walk and the archive, streamed in one sorted
// order through the core's Planner; the plan is spooled to the archive (or printed, in a dry run).
import { existsSync } from 'node:fs';
import type { PairConfig } from '../config.js';
import { DeleteCounter, countDeletions } from '../core/guard.js';
import { describeAction } from '../core/plan-format.js';
import { MoveFinder, type MoveFinderOptions, type MoveStep } from '../core/moves.js';
import { Planner } from '../core/planner.js';
import { display, isWithin } from '../core/paths.js';
import { scopesOf } from '../core/scope.js';
import type { Action, ArchiveRecord, Policy, RelPath } from '../core/types.js';
import { remoteScanReader } from '../fsops/entry.js';
import type { Root } from '../fsops/root.js';
import { isMountPoint } from '../fsops/mounts.js';
import type { Logger } from '../log.js';
import { loadIgnore } from '../scan/ignore.js';
import { scanTree } from '../scan/walk.js';
import type { Archive } from '../store/archive.js';
import { bytesToCompare } from './compare.js';
import { META } from './health.js';
import { archiveSubtree } from '../store/subtree.js';
import { mergeSorted } from './merge.js';
import type { PassOptions } from './pair.js';

/** Directories listed at once while scanning: on a network mount each listing is a round trip. */
const SCAN_CONCURRENCY = 32;
/** Plan steps written to the archive's spool in one transaction. */
const PLAN_BATCH = 500;

export interface PlanInput {
  cfg: PairConfig;
  roots: { local: Root; remote: Root };
  /** Undefined only for a dry run before the first sync. */
  archive: Archive | undefined;
  policy: Policy;
  log: Logger;
  /** Look for moves with these options (not looked for without them). */
  moves?: MoveFinderOptions;
  /** Steps left out of the plan: a dry run's, made moot by the moves it printed before them. */
  hide?: (a: Action) => boolean;
  /** A dry run's: told of each step it would print (instead of printing it). */
  hold?: (a: Action) => void;
}

/** A temp file a scan found: a leftover to sweep, unless it may still be written. */
export interface StrayTemp {
  root: string;
  rel: RelPath;
}

export interface PlannedPass {
  /** Steps that change something (what a dry run prints). */
  planned: number;
  /** Bytes the plan compares on both sides. */
  compareBytes: number;
  /** Deletions per side, for the mass-delete guard. */
  deletes: DeleteCounter['counts'];
  strayTemps: StrayTemp[];
  /** Moves and copies to make before this plan, which is then made again (only when looked for). */
  moves: MoveStep[];
  /** What the moves carry along unchanged (MoveFinder.carried), for a dry run. */
  carried: { gone: Set<RelPath>; created: Set<RelPath> };
}

export async function planPass(input: PlanInput, opts: PassOptions): Promise<PlannedPass> {
  const { cfg, roots, archive, policy, log } = input;
  const { local: localRoot, remote: remoteRoot } = roots;
  const ignore = withFilesystemFolders(
    await loadIgnore(cfg.local, cfg.ignore),
    await rootsAreMountPoints(localRoot.path, remoteRoot.path),
  );
  const strayTemps: StrayTemp[] = [];
  const warn = (side: string) => (rel: RelPath, message: string) =>
    log.warn({ side, path: display(rel) }, `${side} ${display(rel)}: ${message}`);
  const nothing = async function* (): AsyncGenerator<never> {};
  const scopes =
    opts.paths === undefined || archive === undefined || archive.getMeta(META.marker) !== '1'
      ? ['']
      : scopesOf(opts.paths, (p) => {
          const r = archive.get(p);
          return r?.local.kind === 'dir' && r.remote.kind === 'dir';
        });
  const inScopes = <T>(each: (under: RelPath) => AsyncIterable<T> | Iterable<T>): AsyncIterable<T> =>
    (async function* () {
      for (const under of scopes) yield* each(under);
    })();
  // A dry run before the first sync may find no local folder yet: it would be created, and empty.
  const local = !existsSync(cfg.local)
    ? nothing()
    : inScopes((under) =>
        scanTree(localRoot.path, {
          side: 'local',
          concurrency: 8,
          io: localRoot.io,
          ignore,
          ...(localRoot.placeholderRoot !== undefined && { placeholderRoot: localRoot.placeholderRoot }),
          onWarning: warn('local'),
          onStrayTemp: (rel) => strayTemps.push({ root: localRoot.path, rel }),
          under,
        }),
      );
  const remoteIo = await remoteScanReader(remoteRoot.path);
  const remote = inScopes((under) =>
    scanTree(remoteRoot.path, {
      side: 'remote',
      concurrency: SCAN_CONCURRENCY,
      io: remoteIo,
      ignore,
      onWarning: warn('remote'),
      onStrayTemp: (rel) => strayTemps.push({ root: remoteRoot.path, rel }),
      under,
    }),
  );
  const records: AsyncIterable<ArchiveRecord> = archive
    ? inScopes((under) => archiveSubtree(archive, under, 1000))
    : nothing();

  const planner = new Planner(policy);
  const deletes = new DeleteCounter();
  let planned = 0;
  let compareBytes = 0;
  let batch: Action[] = [];
  const flush = (): void => {
    if (batch.length > 0 && !opts.dryRun) archive?.planAddMany(batch);
    batch = [];
  };
  const take = (actions: Action[]): void => {
    for (const a of actions) {
      if (input.hide?.(a) === true) continue;
      deletes.add(a);
      compareBytes += bytesToCompare(a);
      const line = describeAction(a);
      if (line !== undefined) planned++;
      if (!opts.dryRun) batch.push(a);
      else if (line !== undefined && input.hold !== undefined) input.hold(a);
      else if (line !== undefined) opts.print?.(line);
    }
    if (batch.length >= PLAN_BATCH) flush();
  };

  const finder = input.moves && new MoveFinder(input.moves);
  if (!opts.dryRun) archive?.planClear();
  for await (const t of mergeSorted(records, local, remote)) {
    take(planner.push(t.path, t.archive, t.local, t.remote));
    finder?.push(t.path, t.archive, t.local, t.remote);
  }
  take(planner.finish());
  flush();
  const moves = finder?.finish() ?? [];
  const carried = finder?.carried() ?? { gone: new Set<RelPath>(), created: new Set<RelPath>() };
  return { planned, compareBytes, deletes: deletes.counts, strayTemps, moves, carried };
}

/**
 * A root that is a mount point has its filesystem's own top-level `lost+found` (ext4, davfs2): it is not
 * the user's and is never synced, on either side (left out on one side only, it would look deleted there).
 */
function withFilesystemFolders(
  ignore: (rel: RelPath, isDir: boolean) => boolean,
  mountRoot: boolean,
): (rel: RelPath, isDir: boolean) => boolean {
  if (!mountRoot) return ignore;
  return (rel, isDir) => (isDir && rel === 'lost+found') || ignore(rel, isDir);
}

/** Whether either root is itself a mount point (a root that cannot be resolved now is not). */
async function rootsAreMountPoints(...roots: string[]): Promise<boolean> {
  const each = await Promise.all(roots.map((r) => isMountPoint(r).catch(() => false)));
  return each.some(Boolean);
}

/** A dry run holds this many steps back while it looks for moves; beyond that it plans again. */
const HELD_STEPS = 20_000;

/** What a pass's planning asks of the pair's one owner of file changes. */
export interface PlanHost {
  beginPlan(): void;
  /** The plan is about to be acted on: checks past the mount's caches wait until they can be trusted. */
  settle(): void;
  relocate(step: MoveStep): Promise<boolean>;
}

/**
 * Plans the pass, looking for moves. Moves found are made first and the pass is planned again from what is
 * there then: the moved paths are in sync, and what else changed in them is an ordinary change. A dry run
 * prints the moves, then the plan without the steps they make moot. Returns the plan to apply and how
 * many moves were made.
 */
export async function planWithMoves(
  input: PlanInput,
  opts: PassOptions,
  host: PlanHost,
): Promise<PlannedPass & { moved: number }> {
  // Before the first sync is done nothing can have moved: every path is new.
  if (input.archive?.getMeta(META.marker) !== '1') return { ...(await planPass(input, opts)), moved: 0 };
  const held: Action[] = [];
  const moves = { policy: input.policy, ...(opts.renamed && { reported: opts.renamed }) };
  const looking: PlanInput = { ...input, moves };
  if (opts.dryRun) looking.hold = (a) => void (held.length <= HELD_STEPS && held.push(a));
  const first = await planPass(looking, opts);
  if (opts.dryRun) return { ...(await printDryRun(first, held, input, opts)), moved: 0 };
  if (first.moves.length === 0) return { ...first, moved: 0 };
  let moved = 0;
  host.settle();
  for (const m of first.moves) if (await host.relocate(m)) moved++;
  if (moved === 0) return { ...first, moved }; // nothing changed: the plan made is still the plan
  const rest = moved === first.moves.length ? withoutCarried(input.archive, first) : undefined;
  if (rest !== undefined) return { ...first, ...rest, moved };
  host.beginPlan();
  return { ...(await planPass(input, opts)), moved };
}

/** The steps of a plan made before `first.moves` that those moves make moot (MoveFinder.carried). */
function mootSteps(first: PlannedPass): (a: Action) => boolean {
  const { gone, created } = first.carried;
  const copied = new Set(first.moves.filter((m) => m.op === 'copy').map((m) => m.path));
  return (a) => (a.op === 'remove' ? gone : created).has(a.path) || (a.op === 'hold' && copied.has(a.path));
}

/**
 * Once every move is made, the plan made before them is still right if all it had at the moved paths was
 * what they carried along: those steps are dropped from the spool, and the pass need not scan again.
 * Undefined if anything else is planned there (an edit, a deletion or a new file inside a moved folder, a
 * folder above one; a copied link, which becomes a placeholder): then the pass plans again.
 */
function withoutCarried(
  archive: Archive,
  first: PlannedPass,
): Pick<PlannedPass, 'planned' | 'deletes'> | undefined {
  const moves = first.moves.filter((m) => m.op === 'move');
  if (moves.length < first.moves.length) return undefined;
  const moot = mootSteps(first);
  // At or below a moved path, or above one (a folder a move made, or left behind).
  const related = (p: RelPath, q: RelPath): boolean => isWithin(p, q) || isWithin(q, p);
  const atMoved = (p: RelPath): boolean => moves.some((m) => related(p, m.from) || related(p, m.path));
  const drop: number[] = [];
  const kept = new DeleteCounter();
  let planned = 0;
  for (let after = 0; ;) {
    const page = archive.planPage(after, PLAN_BATCH);
    for (const { seq, action } of page) {
      if (moot(action)) drop.push(seq);
      else if (atMoved(action.path)) return undefined;
      else {
        kept.add(action);
        if (describeAction(action) !== undefined) planned++;
      }
    }
    const last = page.at(-1);
    if (last === undefined || page.length < PLAN_BATCH) break;
    after = last.seq;
  }
  archive.planDrop(drop);
  return { planned, deletes: kept.counts };
}

/** A dry run's plan: the moves, then the steps they do not make moot (planned again if too many to hold). */
async function printDryRun(
  first: PlannedPass,
  held: Action[],
  input: PlanInput,
  opts: PassOptions,
): Promise<PlannedPass> {
  const moot = mootSteps(first);
  for (const m of first.moves) opts.print?.(describeAction(m) ?? '');
  if (held.length > HELD_STEPS) {
    const again = await planPass({ ...input, hide: moot }, opts);
    return { ...again, planned: again.planned + first.moves.length };
  }
  const shown = held.filter((a) => !moot(a));
  for (const a of shown) opts.print?.(describeAction(a) ?? '');
  return { ...first, planned: shown.length + first.moves.length, deletes: countDeletions(shown) };
}
