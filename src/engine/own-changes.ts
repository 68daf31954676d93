// Telling lazysync's own changes from a program's: kernel events on the local folder while we change a
// path, and open events on the remote for the files we open ourselves (downloads, checks past the caches).
import { isUnchanged } from '../core/changes.js';
import type { RelPath } from '../core/types.js';
import { lstatEntrySync, sameEntry } from '../fsops/entry.js';
import type { Archive } from '../store/archive.js';

/**
 * An open of a remote file we made is matched with the kernel's open event within this time; an event that
 * never comes (a folder not watched) is forgotten after it.
 */
const OWN_OPEN_WINDOW_MS = 5000;
/** Opens waiting for their events beyond this many: the old ones are dropped. */
const MAX_OWN_OPENS = 1024;

export class OwnChanges {
  /** Local paths we are changing right now (a count: the same path can be in two operations). */
  private readonly writes = new Map<RelPath, number>();
  /** Paths with a kernel event taken for ours while we were changing them: checked again when we are done. */
  private readonly eventsWhileOwn = new Set<RelPath>();
  /** Our own opens of remote files whose kernel open events have not come yet: path -> when each was made. */
  private readonly opens = new Map<RelPath, number[]>();

  constructor(
    private readonly localRoot: string,
    private readonly remoteRoot: string,
    /** The archive's record of a path, if there is an archive. */
    private readonly recordOf: (path: RelPath) => ReturnType<Archive['get']>,
    /** Told of a local path changed by someone else while we were changing it (its events were missed). */
    private readonly onMissedChange: (path: RelPath) => void,
  ) {}

  /** We are about to change `path` in the local root; the returned function says we are done. */
  writing(path: RelPath): () => void {
    const n = this.writes.get(path) ?? 0;
    this.writes.set(path, n + 1);
    const before = n === 0 ? lstatEntrySync(this.localRoot, path, this.remoteRoot) : undefined;
    return () => {
      const left = (this.writes.get(path) ?? 1) - 1;
      if (left > 0) {
        this.writes.set(path, left);
        return;
      }
      this.writes.delete(path);
      // Kernel events on `path` were taken for ours while we worked on it. If a program changed it meanwhile
      // (it is neither as it was before nor as the archive now records it), they were not: sync it. An
      // event that changed nothing we compare (a chmod to the same mode) counts too when `path` differs from
      // the archive: our attempt may have failed on that difference, and the event may be all that
      // announces it (an edit made through a hard link outside the local folder makes none there).
      const eventSeen = this.eventsWhileOwn.delete(path);
      const now = lstatEntrySync(this.localRoot, path, this.remoteRoot);
      if ((eventSeen || !sameEntry(now, before, 'local')) && !this.isOwnLocalWrite(path))
        this.onMissedChange(path);
    };
  }

  /**
   * Is a kernel event on `path` in the local root our own doing? Yes while we are changing it (the event is
   * remembered and the path checked again when we are done); after that, only if the path is exactly as
   * the archive recorded it (then there is nothing to sync anyway).
   */
  isOwnLocalWrite(path: RelPath): boolean {
    if ((this.writes.get(path) ?? 0) > 0) {
      this.eventsWhileOwn.add(path);
      return true;
    }
    const rec = this.recordOf(path);
    const now = lstatEntrySync(this.localRoot, path, this.remoteRoot);
    if (rec === undefined) return now === undefined;
    return now !== undefined && isUnchanged(now, rec.local, 'local');
  }

  /** We are about to open R/path ourselves. */
  openingRemote(path: RelPath): void {
    if (this.opens.size >= MAX_OWN_OPENS) this.forgetOldOpens();
    this.opens.set(path, [...(this.opens.get(path) ?? []), Date.now()]);
  }

  /**
   * Is this open event of R/path one of our own opens? Each of ours is matched with one event, so a
   * program's open right after ours is still seen as the program's.
   */
  claimOwnRemoteOpen(path: RelPath): boolean {
    const since = Date.now() - OWN_OPEN_WINDOW_MS;
    const times = (this.opens.get(path) ?? []).filter((t) => t >= since);
    const claimed = times.shift() !== undefined;
    if (times.length > 0) this.opens.set(path, times);
    else this.opens.delete(path);
    return claimed;
  }

  /** Drops our opens whose events did not come in time: they say nothing any more. */
  private forgetOldOpens(): void {
    const since = Date.now() - OWN_OPEN_WINDOW_MS;
    for (const [p, times] of this.opens) if (times.every((t) => t < since)) this.opens.delete(p);
  }
}
