// The vocabulary shared by every layer: what a scan observed, what the archive remembers, what a plan asks for.

/**
 * A path relative to a root, '/'-separated, no leading or trailing slash; '' is the root itself.
 * Names are bytes, so a RelPath is a "binary" string: one JS char per byte (char codes 0..255),
 * made with Buffer#toString('latin1') and turned back with Buffer.from(p, 'latin1').
 * Never decode it as UTF-8 except for display (see paths.ts display()).
 */
export type RelPath = string;

/** What kind of thing sits at a path. 'placeholder' exists only on the local side. */
export type EntryKind = 'file' | 'dir' | 'symlink' | 'placeholder';
/** What a version can be: a placeholder is never kept (its content is the remote's). */
export type VersionKind = Exclude<EntryKind, 'placeholder'>;

/** One side's observed state of one path (from lstat; never follows a symlink). */
export interface Entry {
  kind: EntryKind;
  /** Bytes, for files and file placeholders; 0 for everything else. */
  size: number;
  /**
   * lstat mtimeMs, for files and file placeholders. The remote may only have whole seconds. 0 for the rest
   * (a folder's mtime is not compared).
   */
  mtime: number;
  /** Permission bits (mode & 0o7777); 0 for symlinks and link placeholders. */
  mode: number;
  /**
   * Inode number on the local side (0 for symlinks and link placeholders); 0 on the remote, whose inode
   * numbers are not stable (sshfs). A placeholder with an inode is a file placeholder.
   */
  ino: number;
  /** Link text, a binary string, for 'symlink' and 'placeholder' (a file placeholder's is its attribute). */
  target?: string;
  /** A directory that could not be listed: nothing below it is known, so nothing below it is touched. */
  unreadable?: boolean;
  /**
   * On a local 'symlink' whose text is the remote path of ANOTHER path: that path. It is a placeholder
   * moved or copied here, never user data (docs/design.md, "Moves").
   */
  placeholderOf?: RelPath;
}

/** The archive's memory of one path as last synced: the common ancestor of both sides. */
export interface ArchiveRecord {
  path: RelPath;
  local: Entry;
  remote: Entry;
}

export type Side = 'local' | 'remote';

/**
 * One step of a plan. `local`/`remote` are the states the scan saw: the executor checks that the path
 * still looks like that before it changes anything there, and skips the step with a problem if not.
 *
 * - download:    copy the remote file over the local path (a real local file there is versioned first).
 * - placeholder: make the local path a placeholder of the remote file (a real local file is versioned first).
 * - upload:      copy the local file over the remote path (a remote file there is versioned first).
 * - mkdir:       create a directory on `side` (whatever non-directory is there is versioned first).
 * - symlink:     create a symlink on `side` with the other side's link text, verbatim.
 * - remove:      remove the path on `side`: files and user symlinks into versions, placeholders unlinked,
 *                directories rmdir'ed (they are empty by then: children come first in the plan).
 * - conflict:    both sides changed differently; the newer (`winner`) keeps the name, the other is renamed
 *                to a conflict copy, and both names end up on both sides. The executor compares the bytes
 *                first when the sizes agree: the same bytes are only recorded. `check` marks a conflict
 *                that is most likely none (no archive yet, same size and mtime second): the bytes decide.
 *                `localCopy` says that the remote file's content, wherever it lands on the local side (the
 *                name or the conflict copy), is a local copy rather than a placeholder.
 * - move:        rename `from` to `path` on `side` (a folder with everything in it), as the other side did;
 *                the entry on `side` is what the scan saw at `from` there. The archive's records follow.
 * - copy:        copy the remote file `from` to `path` on the remote (a placeholder copied locally).
 * - hold:        nothing is done: the local entry is reported (once) and left alone, never sent.
 * - record:      nothing to copy; write the archive from the current states.
 * - forget:      the path is gone on both sides; drop it from the archive.
 */
export type Action =
  | { op: 'download'; path: RelPath; local?: Entry; remote: Entry; unlessSame?: true }
  | { op: 'placeholder'; path: RelPath; local?: Entry; remote: Entry }
  | { op: 'upload'; path: RelPath; local: Entry; remote?: Entry }
  | { op: 'mkdir'; side: Side; path: RelPath; local?: Entry; remote?: Entry }
  | { op: 'symlink'; side: Side; path: RelPath; target: string; local?: Entry; remote?: Entry }
  | { op: 'remove'; side: Side; path: RelPath; local?: Entry; remote?: Entry }
  | {
      op: 'conflict';
      path: RelPath;
      local: Entry;
      remote: Entry;
      winner: Side;
      check?: true;
      localCopy?: true;
    }
  | { op: 'move'; side: Side; from: RelPath; path: RelPath; local?: Entry; remote?: Entry }
  | { op: 'copy'; from: RelPath; path: RelPath; local?: Entry; remote?: Entry }
  | { op: 'hold'; path: RelPath; local: Entry; remote?: Entry; reason: string }
  | { op: 'record'; path: RelPath; local: Entry; remote: Entry }
  | { op: 'forget'; path: RelPath };

export type Op = Action['op'];

/** Per-pair choices that change decisions: plain data, and one pure predicate over paths. */
export interface Policy {
  /** Lazy mode: remote files become placeholders unless pinned. Eager mode: local copies. */
  lazy: boolean;
  /** --max-size: files larger than this stay placeholders unless pinned, in either mode. */
  maxSize?: number;
  /** --cache-max: clean local copies beyond this total are freed, least recently opened first. */
  cacheMax?: number;
  /** Paths always kept as local copies (--pin patterns and `lazysync pin`). */
  isPinned?: (path: RelPath) => boolean;
  /** False when modes set through the remote's mount do not stick (its server shows its own): not compared. */
  remoteModesKept?: boolean;
  /** True when the remote's server stamps its own mtimes on uploads: an mtime alone may not be a change. */
  remoteMtimesRewritten?: boolean;
}
