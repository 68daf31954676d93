// Test vocabulary for the core, after Mutagen's testing_entries: named entries as each side sees them.
import type { ArchiveRecord, Entry, Policy, RelPath } from '../../src/core/types.js';

const SECOND = 1000;
/** Three distinct seconds, oldest first. */
export const T1 = 1_700_000_000 * SECOND;
export const T2 = T1 + 3600 * SECOND;
export const T3 = T2 + 3600 * SECOND;

export function file(size: number, mtime: number, ino = 0, mode = 0o644): Entry {
  return { kind: 'file', size, mtime, mode, ino };
}
export function dir(mode = 0o755): Entry {
  return { kind: 'dir', size: 0, mtime: 0, mode, ino: 0 };
}
export function symlink(target: string, mtime = T1): Entry {
  return { kind: 'symlink', size: 0, mtime, mode: 0, ino: 0, target };
}
export function placeholder(target: string): Entry {
  return { kind: 'placeholder', size: 0, mtime: T1, mode: 0, ino: 0, target };
}

// Files: F1, F2, F3 are three different contents, as seen on each side. The local side has inode numbers
// and sub-second mtimes; the remote has whole seconds and no stable inodes (sshfs).
export const lF1 = file(100, T1 + 420, 11);
export const rF1 = file(100, T1);
export const lF2 = file(200, T2 + 730, 21);
export const rF2 = file(200, T2);
export const lF3 = file(300, T3 + 90, 31);
export const rF3 = file(300, T3);
/** Same size as F1 but written in another second: metadata cannot tell if the bytes differ. */
export const lF1later = file(100, T2 + 5, 12);
/** F1 after an editor's atomic save: same size and mtime, a new inode. */
export const lF1saved = { ...lF1, ino: 99 };
/** F1 with its mode changed. */
export const lF1exec = { ...lF1, mode: 0o755 };

export const lD = dir();
export const rD = dir();
/** Symlinks: link text is data, relative ones included. */
export const lS1 = symlink('x/one');
export const rS1 = symlink('x/one');
export const lS2 = symlink('../two', T2);
export const rS2 = symlink('../two', T2);
/** Placeholders exist only locally: an absolute link into the remote mount. */
export const P = placeholder('/mnt/r/a/p');
export const P2 = placeholder('/mnt/other/a/p');
/** A file placeholder of rF1: the same text, with its own inode and rF1's size, mtime and mode. */
export const FP1: Entry = { ...P, size: rF1.size, mtime: rF1.mtime, mode: rF1.mode, ino: 77 };

export const lazy: Policy = { lazy: true };
export const eager: Policy = { lazy: false };
export const pinned: Policy = { lazy: true, isPinned: () => true };

export function rec(path: RelPath, local: Entry, remote: Entry): ArchiveRecord {
  return { path, local, remote };
}
