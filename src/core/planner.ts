// The subtree-aware planner: joins the per-path decisions of one pass into an executable, ordered stream.
import { conflictStep, decide } from './decide.js';
import { comparePaths, display, isWithin } from './paths.js';
import type { Action, ArchiveRecord, Entry, Policy, RelPath, Side } from './types.js';

/**
 * A directory's removal or replacement, held back until the planner leaves the directory's subtree.
 * `kind` 'remove': the directory goes away on `side`. 'replace': a non-directory takes its place on `side`.
 */
interface Deferred {
  path: RelPath;
  side: Side;
  kind: 'remove' | 'replace';
  action: Action;
  cancelled: boolean;
}

/**
 * Feed it every path present in the archive, the local scan or the remote scan, in `comparePaths` order
 * (a directory right before its contents), then call finish(). Each call returns the actions that are
 * ready, in the order they must run. Contract:
 * - creations come in input order, so a directory is created before its contents;
 * - a directory removed or replaced by a non-directory on a side comes after everything below it
 *   (post-order), and is cancelled if anything below it stays on that side: then the directory is made to
 *   exist on both sides instead (`mkdir` on the other side, or a `conflict` that keeps the directory);
 * - nothing is planned at or below an unreadable directory, and no directory above one is removed.
 * Memory: one stack frame per pending directory on the current path, so bounded by the tree's depth.
 */
export class Planner {
  private readonly stack: Deferred[] = [];
  /** An unreadable directory whose subtree is being skipped. */
  private skipping: RelPath | undefined;
  private last: RelPath | undefined;

  constructor(private readonly policy: Policy) {}

  push(path: RelPath, archive?: ArchiveRecord, local?: Entry, remote?: Entry): Action[] {
    if (this.last !== undefined && comparePaths(this.last, path) >= 0) {
      throw new Error(
        `planner: ${display(path)} pushed after ${display(this.last)}: input is not in scan order`,
      );
    }
    this.last = path;
    const out: Action[] = [];
    this.leave(path, out);

    if (this.skipping !== undefined) {
      if (isWithin(path, this.skipping)) return out;
      this.skipping = undefined;
    }
    if (local?.unreadable === true || remote?.unreadable === true) {
      // Nothing is known below it, so it may hold data on either side: no directory above it goes away.
      this.cancelUpTo(this.stack.length - 1, out);
      this.skipping = path;
      return out;
    }

    const actions = decide(path, archive, local, remote, this.policy);
    this.cancelKeptAncestors(actions, local, remote, out);
    for (const action of actions) {
      const deferred = dirChange(path, action);
      if (deferred === undefined) out.push(action);
      else this.stack.push(deferred);
    }
    return out;
  }

  /** Ends the stream: emits what is still held back. The planner can then be fed a new pass. */
  finish(): Action[] {
    const out: Action[] = [];
    while (this.stack.length > 0) this.pop(out);
    this.skipping = undefined;
    this.last = undefined;
    return out;
  }

  /** How many directory changes are held back right now (bounded by the tree's depth). */
  get pending(): number {
    return this.stack.length;
  }

  /** Pops (post-order) every held-back directory whose subtree `path` is not in. */
  private leave(path: RelPath, out: Action[]): void {
    for (
      let top = this.stack.at(-1);
      top !== undefined && !isWithin(path, top.path);
      top = this.stack.at(-1)
    ) {
      this.pop(out);
    }
  }

  private pop(out: Action[]): void {
    const d = this.stack.pop();
    if (d !== undefined && !d.cancelled) out.push(d.action);
  }

  /**
   * A path below held-back directories keeps a directory on side S unless all it does there is being
   * removed (or forgotten). Every held-back ancestor it keeps is cancelled, and so is every one above that.
   */
  private cancelKeptAncestors(
    actions: Action[],
    local: Entry | undefined,
    remote: Entry | undefined,
    out: Action[],
  ) {
    const keeps = (side: Side): boolean => {
      if (actions.length === 0) return (side === 'local' ? local : remote) !== undefined;
      return actions.some((a) => a.op !== 'forget' && !(a.op === 'remove' && a.side === side));
    };
    let innermost = -1;
    for (const [i, d] of this.stack.entries()) if (!d.cancelled && keeps(d.side)) innermost = i;
    this.cancelUpTo(innermost, out);
  }

  /**
   * Cancels the held-back changes of stack[0..last], outermost first, emitting right away what makes each
   * directory exist on both sides, so that it comes before whatever is decided inside it. If stack[i] stays,
   * so do all directories above it, whatever side they were to be removed on.
   */
  private cancelUpTo(last: number, out: Action[]): void {
    for (let i = 0; i <= last; i++) {
      const d = this.stack[i];
      if (d === undefined || d.cancelled) continue;
      d.cancelled = true;
      const instead = replacement(d, this.policy);
      if (instead !== undefined) out.push(instead);
    }
  }
}

/** If `action` removes or replaces a directory on a side, the deferral it needs. */
function dirChange(path: RelPath, action: Action): Deferred | undefined {
  const isDir = (e: Entry | undefined): boolean => e?.kind === 'dir';
  let side: Side | undefined;
  let kind: Deferred['kind'] = 'replace';
  switch (action.op) {
    case 'remove':
      kind = 'remove';
      side = action.side;
      break;
    case 'symlink':
      side = action.side;
      break;
    case 'download':
    case 'placeholder':
      side = 'local';
      break;
    case 'upload':
      side = 'remote';
      break;
    default:
      return undefined;
  }
  if (!isDir(action[side])) return undefined;
  return { path, side, kind, action, cancelled: false };
}

/**
 * What keeps a directory whose removal or replacement was cancelled: a removed directory is re-created on
 * the other side (where it was deleted); a directory that was to be replaced by a non-directory keeps its
 * name, and the non-directory becomes a conflict copy.
 */
function replacement(d: Deferred, policy: Policy): Action | undefined {
  const { action, path, side } = d;
  if (action.op === 'forget') return undefined;
  const { local, remote } = action;
  if (d.kind === 'remove') {
    const other: Side = side === 'local' ? 'remote' : 'local';
    return {
      op: 'mkdir',
      side: other,
      path,
      ...(local !== undefined && { local }),
      ...(remote !== undefined && { remote }),
    };
  }
  if (local === undefined || remote === undefined) return undefined;
  return conflictStep(policy, path, local, remote, side);
}
