// Telling a file placeholder (docs/design.md, "File placeholders") apart from a file: a non-empty regular
// file with no data blocks whose extended attribute holds the placeholder text. Read by every scan, so
// it costs nothing for files with content (no attribute is read for them).
import type { Stats } from 'node:fs';
import type { Entry } from '../core/types.js';
import { nativeAddon } from '../native-addon.js';

/** The extended attribute that makes a file a placeholder; its value is the placeholder text. */
export const PLACEHOLDER_XATTR = 'user.lazysync.placeholder';

/**
 * The placeholder text of the file at `abs` (as lstat saw it), or undefined when it is no placeholder.
 * Only a non-empty file with no data blocks can be one: a placeholder written to (by a program while no
 * lazysync answered, or half filled when a fill was cut short) has blocks and is a file again.
 */
export function filePlaceholderText(abs: Buffer, st: Stats): string | undefined {
  if (!st.isFile() || st.size === 0 || st.blocks !== 0) return undefined;
  const value = nativeAddon()?.getXattr(abs, PLACEHOLDER_XATTR);
  return value === null || value === undefined ? undefined : value.toString('latin1');
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
    Math.floor(placeholder.mtime / 1000) === Math.floor(remote.mtime / 1000) &&
    placeholder.mode === remote.mode
  );
}
