// Change detection: one side against its own past (the archive), and one side against the other.
import type { Entry, Policy, Side } from './types.js';

/** What of a side's metadata counts as a change there. */
export interface ChangeRules {
  /** Modes are not compared (a remote whose modes do not stick shows its own). */
  ignoreMode?: boolean;
}

/** The rules for `side` under `policy`: the remote's modes count only where they stick. */
export function rulesFor(policy: Policy, side: Side): ChangeRules {
  return side === 'remote' && policy.remoteModesKept === false ? { ignoreMode: true } : {};
}

/**
 * True if `current` is what the archive saw on `side` last time (`last`), i.e. this side did not change.
 * Files compare size, mtime and mode (unless `rules` ignore it), plus the inode on the local side (an
 * editor's atomic save gives a new inode even when size and mtime look the same); directories compare
 * only their kind; symlinks and placeholders compare their link text.
 */
export function isUnchanged(current: Entry, last: Entry, side: Side, rules: ChangeRules = {}): boolean {
  if (current.kind !== last.kind) return false;
  switch (current.kind) {
    case 'file':
      return (
        current.size === last.size &&
        current.mtime === last.mtime &&
        (rules.ignoreMode === true || current.mode === last.mode) &&
        (side === 'remote' || current.ino === last.ino)
      );
    case 'dir':
      return true;
    case 'symlink':
    case 'placeholder':
      return current.target === last.target;
  }
}

/** Whether an entry is a file placeholder (a link placeholder has no inode of its own in an Entry). */
export function isFilePlaceholder(e: Entry | undefined): e is Entry {
  return e?.kind === 'placeholder' && e.ino !== 0;
}

/**
 * Whether a file placeholder still shows what `remote` is (size, mtime second, mode): a remote edit
 * changes nothing to copy, but the placeholder must show the new size and time.
 */
export function placeholderShows(placeholder: Entry, remote: Entry): boolean {
  return (
    placeholder.size === remote.size &&
    mtimeSeconds(placeholder) === mtimeSeconds(remote) &&
    placeholder.mode === remote.mode
  );
}

/** Whole seconds: the precision every remote offers. Sub-second differences are never a change across sides. */
export function mtimeSeconds(e: Entry): number {
  return Math.floor(e.mtime / 1000);
}

/**
 * Whether a file about to be copied is still the one the plan saw: the same size and mtime second and,
 * where the plan knows it, the same inode. Whole seconds, because the plan's entry may come from another
 * kind of call than the copy's own look (a check past the mount's caches reads the time in other units).
 */
export function stillAsPlanned(now: Entry, planned: Entry): boolean {
  return (
    now.kind === 'file' &&
    planned.kind === 'file' &&
    now.size === planned.size &&
    mtimeSeconds(now) === mtimeSeconds(planned) &&
    (planned.ino === 0 || now.ino === planned.ino)
  );
}

/**
 * Whether the local and the remote entry hold the same content, judged from metadata only, at the coarser
 * precision of the two sides. 'unknown' means same size but another mtime second: only the bytes can tell
 * (the executor compares them). A placeholder always shows the remote file's content.
 */
export function sameContent(local: Entry, remote: Entry): boolean | 'unknown' {
  if (local.kind === 'placeholder') return remote.kind === 'file';
  if (local.kind !== remote.kind) return false;
  switch (local.kind) {
    case 'dir':
      return true;
    case 'symlink':
      return local.target === remote.target;
    case 'file':
      // rsync's quick check: same size and same modification second.
      if (local.size !== remote.size) return false;
      return mtimeSeconds(local) === mtimeSeconds(remote) ? true : 'unknown';
  }
}

/**
 * True if a remote file changed only in its mtime (same size, and the same mode where modes count) on a
 * remote whose server stamps its own mtimes: it may hold the same bytes, and only comparing them can tell.
 */
export function onlyStampMoved(current: Entry, last: Entry, policy: Policy): boolean {
  return (
    policy.remoteMtimesRewritten === true &&
    current.kind === 'file' &&
    last.kind === 'file' &&
    current.size === last.size &&
    current.mtime !== last.mtime &&
    (policy.remoteModesKept === false || current.mode === last.mode)
  );
}
