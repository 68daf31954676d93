// File placeholders (docs/design.md, "File placeholders"): a regular local file with the remote file's
// size, mtime and mode, no data blocks, and the placeholder text (what a link placeholder's link would
// hold) in an extended attribute. Its content is fetched when a program touches it, through the kernel's
// fanotify permission events (src/hsm/); here: making one, and re-pointing a moved one.
import fs, { constants } from 'node:fs';
import type { Entry, RelPath } from '../core/types.js';
import { LazysyncError } from '../errors.js';
import { faultPoint } from '../fault.js';
import { nativeAddon } from '../native-addon.js';
import { withTempBeside } from './atomic.js';
import { PLACEHOLDER_XATTR } from './placeholder-xattr.js';

/** Puts the kernel's watch on a new placeholder (by path: nothing is opened), before anyone can see it. */
export interface PlaceholderMarker {
  mark(abs: Buffer): Promise<void>;
}

function addonOrFail(): NonNullable<ReturnType<typeof nativeAddon>> {
  const addon = nativeAddon();
  if (addon === undefined) {
    throw new LazysyncError('unsupported', 'file placeholders need the native addon, which is not built');
  }
  return addon;
}

/**
 * Makes `dst` a file placeholder of the remote file at `of` (`remote`): a temp file beside it with the
 * right size (no blocks), mode, mtime and attribute, watched (`marker`) before it is renamed into place,
 * so no program ever sees it unwatched. `beforeRename` checks or versions what is at `dst` first. Blocking
 * calls: the local disk only.
 */
export function filePlaceholderAtomic(
  of: RelPath,
  dst: Buffer,
  remote: Entry,
  marker: PlaceholderMarker,
  beforeRename?: () => Promise<void>,
): Promise<void> {
  const addon = addonOrFail();
  return withTempBeside(dst, async (tmp) => {
    faultPoint('placeholder file: create temp', tmp);
    const fd = fs.openSync(
      tmp,
      constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW,
      remote.mode & 0o777,
    );
    try {
      fs.ftruncateSync(fd, remote.size);
      if ((fs.fstatSync(fd).mode & 0o7777) !== remote.mode) fs.fchmodSync(fd, remote.mode);
      fs.futimesSync(fd, Date.now() / 1000, remote.mtime / 1000);
    } finally {
      fs.closeSync(fd);
    }
    addon.setXattr(tmp, PLACEHOLDER_XATTR, Buffer.from(of, 'latin1'));
    await marker.mark(tmp);
    await beforeRename?.();
    faultPoint('placeholder file: rename temp into place', dst);
    fs.renameSync(tmp, dst);
  });
}

/** Makes the file placeholder at `abs` stand for the path `of`, as a moved link placeholder is re-pointed. */
export function setPlaceholderOf(abs: Buffer, of: RelPath): void {
  addonOrFail().setXattr(abs, PLACEHOLDER_XATTR, Buffer.from(of, 'latin1'));
}
