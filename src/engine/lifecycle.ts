// The one owner of every change to a pair's files. A pass's steps, a program's open, `pin`, `free`, the
// --cache-max limit and `restore` are all requests here: each runs in turn with every other change of the
// same path (the scheduler), the core decides what a request asks for, and two hydrations or two frees of
// one file join into one. docs/design.md, "The life of a local file in lazy mode".
import { decide } from '../core/decide.js';
import { display, isWithin } from '../core/paths.js';
import type { MoveStep } from '../core/moves.js';
import { describeAction } from '../core/plan-format.js';
import { freeing, hydration } from '../core/requests.js';
import { formatSize } from '../core/size.js';
import type { Action, Entry, Policy, RelPath } from '../core/types.js';
import { LazysyncError, StaleViewError, messageOf } from '../errors.js';
import { copyFileAtomic } from '../fsops/atomic.js';
import { ensureParents } from '../fsops/dirs.js';
import { absOf } from '../fsops/entry.js';
import type { Root } from '../fsops/root.js';
import type { Logger } from '../log.js';
import type { Archive } from '../store/archive.js';
import type { Executor } from './executor.js';
import { PathScheduler } from './scheduler.js';

/**
 * Changes applied at once. A small file costs about ten round trips (create, write, fsync, close, utimes,
 * checks, rename): overlapping them is what makes many small files fast on a slow link.
 */
export const APPLY_CONCURRENCY = 16;

export interface LifecycleHost {
  roots: { local: Root; remote: Root };
  archive: Archive;
  executor: Executor;
  policy: Policy;
  log: Logger;
  /** Told of each hydration and each local copy freed, for status views. */
  notify?: (e: { type: 'hydrated' | 'freed'; path: RelPath; size: number }) => void;
}

/**
 * What asked for a hydration: a program's open (seen by kernel events on the mount or the /proc scan), a
 * program waiting on a file placeholder (`fill` puts the verified copy into its inode), or `pin`.
 */
export type HydrateCause =
  | { via: 'inotify' | 'proc' }
  | { via: 'fanotify'; fill: (tmp: Buffer, remote: Entry) => Promise<void> }
  | 'pin';

/** What a request to free a local copy came to. */
export type Freed = { freed: number } | { refused: string } | undefined;

/** A version to restore: the file `rel` in the versions below `root`, as `entry` describes it. */
export interface VersionSource {
  root: string;
  rel: RelPath;
  entry: Entry;
}

export class Lifecycle {
  private readonly scheduler = new PathScheduler(APPLY_CONCURRENCY);
  /** Paths changed by a request since the current pass started planning: its steps for them are stale. */
  private readonly changedSincePlan = new Set<RelPath>();
  private readonly hydrating = new Map<RelPath, Promise<number | undefined>>();
  private readonly freeing = new Map<RelPath, Promise<Freed>>();

  constructor(private readonly host: LifecycleHost) {}

  /** A pass starts planning: what requests change from now on, its plan does not know about. */
  beginPlan(): void {
    this.changedSincePlan.clear();
  }

  /** Resolves once fewer than `n` changes are queued or running: a pass's bounded window. */
  roomFor(n: number): Promise<void> {
    return this.scheduler.whenBelow(n);
  }

  /**
   * Applies one step of a pass's plan when its path's turn comes, unless a request changed the path since
   * the plan was made (the next pass decides it). A step that finds the server's state other than the
   * plan's view is decided again by the core from what the server has now, and applied once.
   */
  async applyStep(action: Action): Promise<void> {
    try {
      await this.scheduler.run(action.path, async () => {
        if (!this.changedSincePlan.has(action.path)) await this.host.executor.apply(action);
      });
    } catch (e) {
      if (!(e instanceof StaleViewError)) throw e;
      await this.decideAgain(action.path, e);
    }
  }

  /**
   * Makes a move or a copy the other side made, in its turn with every other change of both paths.
   * Returns whether it was made: one that cannot be (its source changed meanwhile) is left to the pass
   * that follows, which copies and deletes instead.
   */
  async relocate(step: MoveStep): Promise<boolean> {
    const { executor, log } = this.host;
    try {
      const apply = (): Promise<void> => executor.apply(step);
      // One turn for both paths; one of them alone where one is within the other.
      await (isWithin(step.from, step.path) || isWithin(step.path, step.from)
        ? this.scheduler.run(step.from, apply)
        : this.scheduler.run(step.from, () => this.scheduler.run(step.path, apply)));
      return true;
    } catch (e) {
      // A source changed meanwhile is ordinary (the plan made next sees why); anything else is worth a word.
      const quiet = e instanceof LazysyncError && e.code === 'changed';
      log[quiet ? 'debug' : 'info'](
        { path: display(step.path) },
        `${describeAction(step)}: not made (${messageOf(e)})`,
      );
      return false;
    }
  }

  /**
   * Hydrates a placeholder, ahead of background work; joins a hydration of the same file in flight.
   * Resolves with the bytes copied, or undefined when there was nothing to hydrate.
   */
  hydrate(path: RelPath, cause: HydrateCause): Promise<number | undefined> {
    const running = this.hydrating.get(path);
    if (running !== undefined) return running;
    const p = this.scheduler
      .run(path, () => this.hydrateNow(path, cause), { urgent: true })
      .finally(() => this.hydrating.delete(path));
    this.hydrating.set(path, p);
    return p;
  }

  /**
   * A program opened a file placeholder to overwrite it (O_TRUNC): `release` makes it an ordinary empty
   * file, in its turn with every other change of the path. The next pass sees the program's new file.
   */
  releasePlaceholder(path: RelPath, release: () => Promise<void>): Promise<void> {
    return this.scheduler.run(
      path,
      async () => {
        await release();
        this.changedSincePlan.add(path);
      },
      { urgent: true },
    );
  }

  /** Frees a clean, unpinned local copy; joins a freeing of the same file in flight. */
  free(path: RelPath): Promise<Freed> {
    const running = this.freeing.get(path);
    if (running !== undefined) return running;
    const p = this.scheduler.run(path, () => this.freeNow(path)).finally(() => this.freeing.delete(path));
    this.freeing.set(path, p);
    return p;
  }

  /**
   * Puts a version back at `path` in the local folder. Real content there becomes a version itself; a
   * placeholder's content is the remote's, which the next pass keeps as a remote version when it uploads.
   */
  restore(path: RelPath, version: VersionSource): Promise<void> {
    const { local } = this.host.roots;
    return this.scheduler.run(path, async () => {
      const current = await local.stat(path);
      // Into a deleted folder: the folders on the way are made again.
      await ensureParents(local.path, path);
      await copyFileAtomic({
        src: absOf(version.root, version.rel),
        dst: local.abs(path),
        expect: version.entry,
        dstSide: 'local',
        // Once the copy is whole: what is there is kept as a version and stays until the copy replaces it.
        ...(current?.kind !== 'dir' && {
          beforeRename: () => this.host.executor.clearForRename('local', path, current),
        }),
      });
      this.changedSincePlan.add(path);
    });
  }

  private async hydrateNow(path: RelPath, cause: HydrateCause): Promise<number | undefined> {
    const { archive, executor, log, policy, roots } = this.host;
    const rec = archive.get(path);
    // Checked before the remote is asked: most joins find the path hydrated already.
    if (rec?.local.kind !== 'placeholder') return undefined;
    const fill = cause !== 'pin' && 'fill' in cause ? cause.fill : undefined;
    const h = hydration(policy, rec, await roots.remote.stat(path), fill !== undefined);
    if ('skip' in h) {
      log.debug({ path: display(path) }, `not hydrating ${display(path)}: ${h.skip}`);
      return undefined;
    }
    const t0 = performance.now();
    await (fill !== undefined ? executor.fillInPlace(h.step, fill) : executor.apply(h.step));
    this.changedSincePlan.add(path);
    archive.problemClear(path); // an earlier failed hydration is solved
    archive.touch([path], Date.now());
    const { size } = h.step.remote;
    const ms = Math.round(performance.now() - t0);
    this.host.notify?.({ type: 'hydrated', path, size });
    const why = cause === 'pin' ? 'pinned' : `open seen by ${cause.via}`;
    log.info(
      { path: display(path), size, ms, ...(cause !== 'pin' && { via: cause.via }) },
      `hydrated ${display(path)} (${formatSize(size)} in ${ms} ms, ${why})`,
    );
    return size;
  }

  private async freeNow(path: RelPath): Promise<Freed> {
    const { archive, executor, policy } = this.host;
    const f = freeing(policy, archive.get(path));
    if (f === undefined || 'refuse' in f) return f && { refused: f.refuse };
    const { local, remote } = f.free;
    try {
      await executor.free(path, local, remote);
    } catch (e) {
      const edited = e instanceof LazysyncError && e.code === 'changed';
      return {
        refused: edited ? 'changed since the last sync (not uploaded yet); sync it first' : messageOf(e),
      };
    }
    this.changedSincePlan.add(path);
    this.host.notify?.({ type: 'freed', path, size: local.size });
    return { freed: local.size };
  }

  /**
   * The plan for `path` was made from a stale view of the remote (the mount's cache): decide it again from
   * what the server has now and the local side as it is now, and apply that once. A change on both sides is
   * then the conflict it is, and a path the server no longer has is not an error. A second stale view is
   * left to the next pass.
   */
  private async decideAgain(path: RelPath, stale: StaleViewError): Promise<void> {
    const { archive, executor, roots, log, policy } = this.host;
    const local = await roots.local.stat(path);
    const actions = decide(path, archive.get(path), local, stale.fresh, policy);
    log.info(
      { path: display(path) },
      `${stale.message}: decided again from the server's state (${actions.map((a) => a.op).join(', ') || 'nothing to do'})`,
    );
    for (const a of actions) await this.scheduler.run(path, () => executor.apply(a));
  }
}
