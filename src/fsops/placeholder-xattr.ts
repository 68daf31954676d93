// Telling a file placeholder (docs/design.md, "File placeholders") apart from a file: a non-empty regular
// file whose extended attribute names the path it is the placeholder of. Read by every local look; the
// attribute is read only for files that hold less data than their size says (or a block at most, which
// is where a filesystem keeps an attribute that does not fit in the inode).
import type { Stats } from 'node:fs';
import type { RelPath } from '../core/types.js';
import { nativeAddon } from '../native-addon.js';

/**
 * The extended attribute that makes a file a placeholder; its value is the path (relative to the roots)
 * whose remote file it stands for: short, so that it fits in the inode and the file has no blocks at all.
 */
export const PLACEHOLDER_XATTR = 'user.lazysync.placeholder';

/**
 * The path the file at `abs` (as lstat saw it) is a placeholder of, or undefined when it is none. A fill
 * removes the attribute before the program that waited goes on, so a file with it has no content of its
 * own (unless a program wrote to it while nothing watched: see docs/design.md, "File placeholders").
 */
export function filePlaceholderOf(abs: Buffer, st: Stats): RelPath | undefined {
  if (!st.isFile() || st.size === 0) return undefined;
  const bytes = st.blocks * 512;
  if (bytes >= st.size && bytes > st.blksize) return undefined; // as much data as its size: a file
  let value: Buffer | null | undefined;
  try {
    value = nativeAddon()?.getXattr(abs, PLACEHOLDER_XATTR);
  } catch {
    // A file this process may not read (EACCES), or a filesystem without user attributes: not one of ours.
    return undefined;
  }
  return value === null || value === undefined ? undefined : value.toString('latin1');
}
