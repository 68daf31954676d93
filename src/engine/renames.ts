// The local renames the kernel reported since the last pass, for the pass's move finder: a file renamed
// and then written is still the file that was renamed.
import { isWithin } from '../core/paths.js';
import type { RelPath } from '../core/types.js';
import type { LocalRename } from '../watch/local-events.js';

/** Renames remembered between two passes beyond this many: the rest are found by inode alone. */
const MAX_RENAMES = 5000;

export class ReportedRenames {
  private list: LocalRename[] = [];

  /** Adds renames in the order they happened; a rename of something renamed before joins the two. */
  add(renames: readonly LocalRename[]): void {
    for (const r of renames) {
      for (const earlier of this.list) {
        if (isWithin(earlier.to, r.from)) earlier.to = r.to + earlier.to.slice(r.from.length);
      }
      if (this.list.length < MAX_RENAMES) this.list.push({ ...r });
    }
  }

  /** The renames so far, as the pass asks for them (a folder's rename also names what was in it), and forgets them. */
  take(): ((from: RelPath, to: RelPath) => boolean) | undefined {
    if (this.list.length === 0) return undefined;
    const list = this.list;
    this.list = [];
    return (from, to) => list.some((r) => isWithin(from, r.from) && to === r.to + from.slice(r.from.length));
  }
}
