// Which subtrees a pass for a few changed paths must look at.
import { comparePaths, isWithin, parentOf } from './paths.js';
import type { RelPath } from './types.js';

/**
 * The subtrees to rescan for changes seen at `paths`, in comparePaths order and without overlaps: each path,
 * widened to its parent while the parent is not a folder the archive knows on both sides (a change inside a
 * folder that is itself new or gone is part of that folder's change). A result of [''] is the whole tree.
 */
export function scopesOf(paths: Iterable<RelPath>, isSyncedDir: (path: RelPath) => boolean): RelPath[] {
  const widened = new Set<RelPath>();
  for (let p of paths) {
    while (p !== '' && parentOf(p) !== '' && !isSyncedDir(parentOf(p))) p = parentOf(p);
    widened.add(p);
  }
  const out: RelPath[] = [];
  for (const p of [...widened].sort(comparePaths)) {
    const last = out[out.length - 1];
    if (last === undefined || !isWithin(p, last)) out.push(p);
  }
  return out;
}
