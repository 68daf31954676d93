// What the executor is given: the roots, the archive, the clock, and the callbacks through which its pair
// learns what it does (counts, progress, own writes and opens) and lends it what it shares (rate limit,
// the cache wait, the mount's facts).
import type { RelPath } from '../core/types.js';
import type { PlaceholderMarker } from '../fsops/file-placeholder.js';
import type { RemoteFacts } from '../fsops/probe-facts.js';
import type { Logger } from '../log.js';
import type { Archive } from '../store/archive.js';

export interface ExecContext {
  localRoot: string;
  remoteRoot: string;
  archive: Archive;
  log: Logger;
  now: () => number;
  /** Called once per applied action with what was done, for the pass summary. */
  onDone: (what: Done, path: RelPath, detail?: string) => void;
  /**
   * Called before the executor may change `path` in the local root, so that its kernel events are not taken
   * for a user's; the returned function is called when it is done.
   */
  onLocalWrite?: (path: RelPath) => () => void;
  /**
   * Called right before the executor opens R/path itself (a download, a byte comparison, a check past the
   * mount's caches), so that the kernel's open event is not taken for a program's.
   */
  onRemoteOpen?: (path: RelPath) => void;
  /** Called right before a placeholder for `path` is made, so opens through it can be watched from the start. */
  beforePlaceholder?: (path: RelPath) => void;
  /** Set when new placeholders are file placeholders (--placeholders file): the kernel's watch on each. */
  placeholderFiles?: PlaceholderMarker;
  /** Progress of a copy: `bytes` of `total` so far; called with done=true once at the end (success or not). */
  onProgress?: (p: Progress) => void;
  /**
   * Progress of a byte comparison of `path` on both sides: `bytes` of each file compared of `total` so far;
   * called with done=true once at the end (same, different or failed; `bytes` may then fall short).
   */
  onCompare?: (p: CompareProgress) => void;
  /** Resolves when `bytes` more may be transferred (the pair's --bwlimit). */
  throttle?: (bytes: number) => Promise<void>;
  /**
   * Resolves once a check of the remote past its caches can show what the server held when the plan was
   * made (RemoteFacts.settleMs); rejects with a LazysyncError when the pass is stopping meanwhile.
   */
  remoteSettled?: () => Promise<void>;
  /** What the remote's mount can do (from its probe); without it, what a local disk can. */
  remoteFacts?: () => RemoteFacts;
  /** Files larger than this are overwritten or deleted without a version (--versions-skip-above). */
  skipVersionsAbove?: number;
  /** Why the remote cannot store a symlink with this link text, for the one warning about it. */
  symlinkLimit?: (target: string) => string;
}

export interface Progress {
  path: RelPath;
  direction: 'download' | 'upload';
  bytes: number;
  total: number;
  done: boolean;
}

export interface CompareProgress {
  path: RelPath;
  bytes: number;
  total: number;
  done: boolean;
}

export type Done =
  | 'downloaded'
  | 'placeholders'
  | 'uploaded'
  | 'created'
  | 'removed'
  | 'versioned'
  | 'conflicts'
  | 'recorded'
  | 'moved'
  | 'copied';

/** The counts of a pass in one line, in the order a summary gives them. */
export function describeCounts(c: Record<Done, number>): string {
  return (
    `${c.downloaded} downloaded, ${c.placeholders} placeholders, ${c.uploaded} uploaded, ${c.moved} moved, ` +
    `${c.copied} copied, ${c.created} created, ${c.removed} removed, ${c.versioned} versioned, ` +
    `${c.conflicts} conflicts`
  );
}

/** A pass's counts before anything is done. */
export function emptyCounts(): Record<Done, number> {
  return {
    downloaded: 0,
    placeholders: 0,
    uploaded: 0,
    created: 0,
    removed: 0,
    versioned: 0,
    conflicts: 0,
    recorded: 0,
    moved: 0,
    copied: 0,
  };
}

/** How many paths a pass changed (what it only recorded, or versioned on the way, is not counted). */
export function changesIn(c: Record<Done, number>): number {
  const { recorded: _recorded, versioned: _versioned, ...changes } = c;
  return Object.values(changes).reduce((a, b) => a + b, 0);
}
