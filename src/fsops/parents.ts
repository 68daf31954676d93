// A path's folders inside a root are real folders: no symlink (swapped in during a pass) leads outside.
import fsp from 'node:fs/promises';
import type { Stats } from 'node:fs';
import { display, parentOf } from '../core/paths.js';
import type { RelPath } from '../core/types.js';
import { LazysyncError } from '../errors.js';
import { absOf } from './entry.js';
import { isAbsent } from './fserr.js';

/**
 * Throws LazysyncError('changed') if a folder between `root` and `rel` (the root and `rel` itself excluded)
 * is a symlink or anything else but a directory: every fs call on `root/rel` would then be resolved through
 * it, possibly outside the root. A missing folder is fine (nothing below it can be reached). The folders
 * are looked at in parallel (one round trip on a network mount). Other lstat failures are rethrown.
 * The race left open: a folder swapped between this check and the fs call right after it.
 */
export async function expectParents(
  root: string,
  rel: RelPath,
  lstat: (abs: Buffer) => Promise<Stats> = (abs) => fsp.lstat(abs),
): Promise<void> {
  const dirs: RelPath[] = [];
  for (let p = parentOf(rel); p !== ''; p = parentOf(p)) dirs.push(p);
  const stats = await Promise.all(
    dirs.map((d) =>
      lstat(absOf(root, d)).catch((e: unknown): Stats | undefined => {
        if (isAbsent(e)) return undefined;
        throw e;
      }),
    ),
  );
  for (const [i, st] of stats.entries()) {
    if (st === undefined || st.isDirectory()) continue;
    const what = st.isSymbolicLink() ? 'a symlink' : 'not a directory';
    throw new LazysyncError(
      'changed',
      `${display(dirs[i] ?? '')}: is now ${what}; ${display(rel)} is not touched through it; will retry`,
    );
  }
}
