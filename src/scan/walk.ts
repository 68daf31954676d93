// The streaming scan of one root: every entry in comparePaths order, listings prefetched with a bound.
import { display } from '../core/paths.js';
import type { Entry, RelPath, Side } from '../core/types.js';
import { LazysyncError } from '../errors.js';
import type { FsReader } from '../fsops/entry.js';
import { listDir, probe, type Child, type ListContext, type Listing } from './listdir.js';

export interface ScanOptions {
  side: Side;
  /**
   * Directory listings in flight at once, at most (e.g. 32); plus, rarely, the one the walk waits for. Each
   * listing is a readdir and one lstat per entry (64 at a time). On a network
   * mount these are round trips held by libuv's threadpool: set UV_THREADPOOL_SIZE (e.g. 64) at start-up.
   */
  concurrency: number;
  /** True to leave a path out (and, for a directory, everything below it). */
  ignore?: (rel: RelPath, isDir: boolean) => boolean;
  /** The remote root: on the local side a symlink to `placeholderRoot/rel` is a placeholder. */
  placeholderRoot?: string;
  /** How to read the tree: the threadpool by default, blockingReader for the local disk. */
  io?: FsReader;
  onWarning?: (rel: RelPath, message: string) => void;
  /** A leftover `.lazysync-tmp-*` file (never yielded): the caller may sweep it. */
  onStrayTemp?: (rel: RelPath) => void;
  /**
   * Scan only this path and, if it is a directory, everything below it (the path itself is yielded first,
   * if it exists and is not ignored). Paths stay relative to `root`.
   */
  under?: RelPath;
}

/**
 * Yields every entry below `root` (not the root) in comparePaths order: depth-first, names by bytes, each
 * directory right before its contents. Never follows a symlink, never enters `ROOT/.lazysync`, skips temp
 * files (reported by onStrayTemp), special files (warned) and ignored paths. A directory that cannot be
 * listed completely is yielded with `unreadable: true` and not entered; so is a symlink whose link text
 * cannot be read (no target); both are warned. Anything that vanished during the scan is skipped.
 *
 * Throws LazysyncError('remote-unavailable' | 'local-unavailable', cause = the fs error) when the root
 * cannot be listed or the filesystem is gone (MOUNT_GONE_CODES anywhere): the caller must pause, not read
 * the missing rest as deletions.
 */
export async function* scanTree(root: string, opts: ScanOptions): AsyncGenerator<[RelPath, Entry]> {
  const ctx: ListContext = {
    root,
    side: opts.side,
    ignore: opts.ignore,
    placeholderRoot: opts.placeholderRoot,
    io: opts.io,
  };
  const hooks: WalkHooks = {
    onWarning: opts.onWarning,
    onStrayTemp: opts.onStrayTemp,
    rootFailed: (l) =>
      new LazysyncError(
        opts.side === 'remote' ? 'remote-unavailable' : 'local-unavailable',
        `${opts.side} root ${display(root)} cannot be listed: ${l.reason}`,
        { cause: l.cause },
      ),
  };
  const list = (rel: RelPath): Promise<Listing> => listDir(ctx, rel);
  if (opts.under === undefined || opts.under === '') {
    yield* walkListings(list, opts.concurrency, hooks);
    return;
  }
  const top = await probe(ctx, opts.under);
  if (top.problem !== undefined) {
    // Not knowing what is there must not read as "it is gone": the caller falls back to a whole pass.
    throw new LazysyncError('io', `${opts.side} ${display(opts.under)}: ${top.problem.reason}`, {
      cause: top.problem.cause,
    });
  }
  if (top.warning !== undefined) opts.onWarning?.(opts.under, top.warning);
  if (top.child === undefined) return;
  if (top.child.entry.kind !== 'dir') yield [top.child.rel, top.child.entry];
  else yield* walkListings(list, opts.concurrency, hooks, top.child);
}

export interface WalkHooks {
  onWarning?: ((rel: RelPath, message: string) => void) | undefined;
  onStrayTemp?: ((rel: RelPath) => void) | undefined;
  /** The error to throw when the root itself did not list. */
  rootFailed: (listing: Exclude<Listing, { status: 'ok' }>) => Error;
}

/** A directory met in some listing: its own listing is idle, in flight, or done. */
interface DirNode {
  rel: RelPath;
  state: 'idle' | 'pending' | 'done';
  done?: Promise<void>;
  listing?: Listing;
  error?: unknown;
  /** The subdirectories to descend into, in order; set once an 'ok' listing arrived. */
  subdirs?: DirNode[];
}

/** A directory being yielded: its children, the next child, and the next of its subdirectories. */
interface Frame {
  node: DirNode;
  children: Child[];
  subdirs: DirNode[];
  i: number;
  d: number;
}

/**
 * The ordered walk over any `list` function (the scanner's, or a fake in tests). The directories ahead of
 * the cursor, in the order they will be entered, form a frontier: the rest of each open frame's
 * subdirectories, each followed by its own subdirectories once its listing is known. Listings are started
 * in frontier order while fewer than `concurrency` are in flight and the listings done but not yet entered
 * hold fewer than `maxBuffered` entries. Bounding what is in flight, not what is ahead of the cursor, keeps
 * the slots busy when one listing is slow (on a network mount a few take many round trips): the others
 * finish and are kept, and new ones start. When the walk needs a directory that is not started, it starts it
 * anyway. Memory: the open frames (one listing per level of depth) plus at most about `maxBuffered` entries
 * of listings, never the tree.
 */
export async function* walkListings(
  list: (rel: RelPath) => Promise<Listing>,
  concurrency: number,
  hooks: WalkHooks,
  /** A directory to start from, yielded like any other (not at all if it vanished); default the root. */
  top?: Child,
  maxBuffered = 16_384,
): AsyncGenerator<[RelPath, Entry]> {
  const limit = Math.max(1, Math.floor(concurrency));
  const stack: Frame[] = [];
  let inFlight = 0; // listings started and not yet done
  let buffered = 0; // entries in listings done and not yet taken by the walk
  let closed = false;
  const sizeOf = (l: Listing): number => (l.status === 'ok' ? l.children.length + 1 : 1);

  const start = (node: DirNode): void => {
    node.state = 'pending';
    inFlight++;
    node.done = list(node.rel).then(
      (l) => {
        inFlight--;
        node.listing = l;
        buffered += sizeOf(l);
        if (l.status === 'ok') {
          node.subdirs = l.children
            .filter((c) => c.entry.kind === 'dir')
            .map((c) => ({ rel: c.rel, state: 'idle' }));
        }
        node.state = 'done';
        schedule(); // a slot is free, and its subdirectories are known now: they come next in the frontier
      },
      (e: unknown) => {
        inFlight--;
        node.error = e;
        node.state = 'done';
      },
    );
  };

  // Walk the frontier in entering order and start idle directories while there is room.
  const schedule = (): void => {
    const visit = (n: DirNode): boolean => {
      if (inFlight >= limit || buffered >= maxBuffered) return false;
      if (n.state === 'idle') start(n);
      else if (n.subdirs) for (const s of n.subdirs) if (!visit(s)) return false;
      return true;
    };
    if (closed) return;
    for (let s = stack.length - 1; s >= 0; s--) {
      const f = stack[s] as Frame;
      for (let k = f.d; k < f.subdirs.length; k++) if (!visit(f.subdirs[k] as DirNode)) return;
    }
  };

  // Wait for a directory's listing and take it out of the prefetched set.
  const take = async (node: DirNode): Promise<Listing> => {
    if (node.state === 'idle') start(node);
    await node.done;
    if (node.error !== undefined) throw node.error;
    const l = node.listing as Listing;
    node.listing = undefined;
    buffered -= sizeOf(l);
    return l;
  };

  const enter = (node: DirNode, l: Extract<Listing, { status: 'ok' }>): void => {
    stack.push({ node, children: l.children, subdirs: node.subdirs ?? [], i: 0, d: 0 });
    node.subdirs = undefined; // the frame owns them now
    for (const [rel, message] of l.warnings) hooks.onWarning?.(rel, message);
    for (const rel of l.strayTemps) hooks.onStrayTemp?.(rel);
    schedule();
  };

  try {
    const root: DirNode = { rel: top?.rel ?? '', state: 'idle' };
    const rl = await take(root);
    if (top === undefined) {
      if (rl.status !== 'ok') throw hooks.rootFailed(rl);
      enter(root, rl);
    } else if (rl.status === 'unreadable') {
      hooks.onWarning?.(top.rel, `${rl.reason}; nothing below it is synced`);
      yield [top.rel, { ...top.entry, unreadable: true }];
    } else if (rl.status === 'ok') {
      enter(root, rl);
      yield [top.rel, top.entry];
    }

    while (stack.length > 0) {
      const f = stack[stack.length - 1] as Frame;
      const c = f.children[f.i++];
      if (c === undefined) {
        stack.pop();
        continue;
      }
      if (c.entry.kind !== 'dir') {
        yield [c.rel, c.entry];
        continue;
      }
      const node = f.subdirs[f.d] as DirNode;
      const l = await take(node);
      f.d++;
      if (l.status === 'vanished') {
        schedule();
        continue;
      }
      if (l.status === 'unreadable') {
        schedule();
        hooks.onWarning?.(c.rel, `${l.reason}; nothing below it is synced`);
        yield [c.rel, { ...c.entry, unreadable: true }];
        continue;
      }
      enter(node, l);
      yield [c.rel, c.entry];
    }
  } finally {
    closed = true;
  }
}
