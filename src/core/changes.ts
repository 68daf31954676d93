// Change detection: one side against its own past (the archive), and one side against the other.
import type { Entry, Side } from './types.js';

/**
 * True if `current` is what the archive saw on `side` last time (`last`), i.e. this side did not change.
 * Files compare size, mtime and mode, plus the inode on the local side (an editor's atomic save gives a new
 * inode even when size and mtime look the same); directories compare only their kind; symlinks and
 * placeholders compare their link text.
 */
export function isUnchanged(current: Entry, last: Entry, side: Side): boolean {
  if (current.kind !== last.kind) return false;
  switch (current.kind) {
    case 'file':
      return (
        current.size === last.size &&
        current.mtime === last.mtime &&
        current.mode === last.mode &&
        (side === 'remote' || current.ino === last.ino)
      );
    case 'dir':
      return true;
    case 'symlink':
    case 'placeholder':
      return current.target === last.target;
  }
}

/** Whole seconds: the precision every remote offers. Sub-second differences are never a change across sides. */
export function mtimeSeconds(e: Entry): number {
  return Math.floor(e.mtime / 1000);
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
