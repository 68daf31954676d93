// Reading one subtree of the archive in order, a page at a time: for the pass's scan of a scope, the
// records a move takes along, and the files below a path that `pin` or `free` names.
import { isWithin } from '../core/paths.js';
import type { ArchiveRecord, RelPath } from '../core/types.js';

/** What reading the archive by path needs. */
export interface ArchiveReader {
  get(path: RelPath): ArchiveRecord | undefined;
  page(after: RelPath | undefined, limit: number): ArchiveRecord[];
}

/**
 * The record at `top` and every record below it, in order ('' is the whole archive). Read in pages, so no
 * iterator stays open on the database while the pass writes to it.
 */
export function* archiveSubtree(archive: ArchiveReader, top: RelPath, limit = 500): Generator<ArchiveRecord> {
  const self = top === '' ? undefined : archive.get(top);
  if (self !== undefined) yield self;
  for (let after: RelPath | undefined = top === '' ? undefined : top; ;) {
    const page = archive.page(after, limit);
    for (const r of page) {
      if (!isWithin(r.path, top)) return;
      yield r;
    }
    const last = page[page.length - 1];
    if (last === undefined || page.length < limit) return;
    after = last.path;
  }
}
