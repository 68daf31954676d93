// "Check before you destroy": a path must still look as the plan saw it before it is changed.
import { display } from '../core/paths.js';
import type { Entry, RelPath, Side } from '../core/types.js';
import { LazysyncError, StaleViewError } from '../errors.js';
import { lstatEntry, readerFor, sameEntry } from './entry.js';
import { freshRemoteEntry } from './fresh.js';
import { expectParents } from './parents.js';

/**
 * Throws LazysyncError('changed') unless `root/rel` still matches `expected` by sameEntry (undefined:
 * it must be absent), and unless every folder between `root` and `rel` is still a real folder
 * (expectParents: a symlink swapped in for one would lead the change outside the root). Pass the remote
 * root as placeholderRoot on the local side, or placeholders look like user symlinks and never match.
 * Other failures of the lstat are rethrown (see lstatEntry).
 * The race left open: a change between this check and the rename/unlink right after it.
 */
export async function expectEntry(
  root: string,
  rel: RelPath,
  side: Side,
  expected: Entry | undefined,
  placeholderRoot?: string,
): Promise<void> {
  await expectParents(root, rel, readerFor(side).lstat);
  const now = await lstatEntry(root, rel, side, placeholderRoot);
  if (!sameEntry(now, expected, side)) {
    throw new LazysyncError('changed', `${display(rel)}: changed since it was scanned; will retry`);
  }
}

/**
 * expectEntry for the remote side, asking the server itself (freshRemoteEntry) rather than the mount's
 * cached view: the check before anything on the remote is overwritten, removed or renamed over. Throws
 * StaleViewError, with what the server has, when that is not `expected`.
 */
export async function expectFreshRemote(
  root: string,
  rel: RelPath,
  expected: Entry | undefined,
): Promise<void> {
  await expectParents(root, rel, readerFor('remote').lstat);
  const now = await freshRemoteEntry(root, rel);
  if (!sameEntry(now, expected, 'remote')) {
    throw new StaleViewError(rel, now, `${display(rel)}: changed on the server since it was scanned`);
  }
}
