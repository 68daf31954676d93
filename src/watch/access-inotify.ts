// Open detection on the remote root: inotify IN_OPEN / IN_CLOSE_WRITE on the remote directories that hold
// placeholder targets. The kernel reports every open made on this machine through the mount, however short.
import { joinPath, STATE_DIR, isWithin } from '../core/paths.js';
import type { RelPath } from '../core/types.js';
import {
  IN_CLOSE_NOWRITE,
  IN_CLOSE_WRITE,
  IN_DONT_FOLLOW,
  IN_IGNORED,
  IN_ISDIR,
  IN_ONLYDIR,
  IN_OPEN,
  IN_UNMOUNT,
  Inotify,
  type InotifyEvent,
  watchLimitText,
} from './inotify.js';

export type AccessKind = 'open' | 'close-write';

export interface AccessHandlers {
  /** A file below R was opened / closed after writing, by any process on this machine (the daemon too). */
  onAccess(rel: RelPath, kind: AccessKind): void;
  /** The kernel queue overflowed: some opens were not reported. */
  onOverflow?(): void;
  /** The filesystem under a watch was unmounted (reported once until a watch is added again). */
  onUnmount?(): void;
  /** max_user_watches is exhausted: called once; no more watches are added, see unwatched(). */
  onLimit?(message: string): void;
}

// CLOSE_NOWRITE is not reported; it is in the mask so that back-to-back opens of one file stay separate
// events (inotify merges an event identical to the last unread one).
const EVENTS = IN_OPEN | IN_CLOSE_WRITE | IN_CLOSE_NOWRITE;
/**
 * Watches a set of directories of the remote root R (a binary string). Promises: after setDirs(D) every dir of
 * D that exists, is a directory and fits under the watch limit is watched, and nothing else is; an open of
 * a file directly in a watched dir calls onAccess(dir/name, 'open') (names are bytes). Event handling is
 * synchronous and cheap. Not followed: a symlink in place of a non-root dir (the root itself may be one).
 *
 * Network mounts do not tell the kernel about server-side renames and deletes, so a watch can sit on an inode
 * that no longer has the dir's name; refresh() fixes that. Opens made by other machines are never seen.
 */
export class InotifyAccessWatcher {
  readonly #root: string;
  readonly #handlers: AccessHandlers;
  readonly #ino: Inotify;
  /** The directories the caller wants watched. */
  #wanted = new Set<RelPath>();
  /** Watched directories; several dirs share a wd when they are one inode. */
  readonly #dirWd = new Map<RelPath, number>();
  readonly #wdDirs = new Map<number, Set<RelPath>>();
  #limited = false;
  #unmountReported = false;

  /** Throws if the inotify addon is not available (check Inotify.available()) or inotify_init1 fails. */
  constructor(root: string, handlers: AccessHandlers) {
    this.#root = root.length > 1 && root.endsWith('/') ? root.slice(0, -1) : root;
    this.#handlers = handlers;
    this.#ino = new Inotify({
      onEvent: (ev) => this.#onEvent(ev),
      onOverflow: () => this.#handlers.onOverflow?.(),
    });
  }

  /** True once max_user_watches was hit: the dirs in unwatched() need the /proc fallback. */
  get limited(): boolean {
    return this.#limited;
  }

  /** Wanted directories without a watch: missing, not a directory, unreadable, or over the limit. */
  unwatched(): RelPath[] {
    return [...this.#wanted].filter((d) => !this.#dirWd.has(d));
  }

  stats(): { wanted: number; watched: number; watches: number; limited: boolean } {
    return {
      wanted: this.#wanted.size,
      watched: this.#dirWd.size,
      watches: this.#wdDirs.size,
      limited: this.#limited,
    };
  }

  /** Make the watched set `dirs`: watches are added for new (and previously failed) dirs, removed for others. */
  setDirs(dirs: Iterable<RelPath>): void {
    const next = new Set<RelPath>();
    for (const d of dirs) if (!isWithin(d, STATE_DIR)) next.add(d);
    for (const d of this.#wanted) if (!next.has(d)) this.#detach(d);
    this.#wanted = next;
    for (const d of next) if (!this.#dirWd.has(d)) this.#watch(d);
  }

  /** Adds one dir to the wanted set and watches it now (before a placeholder of a file in it is made). */
  addDir(dir: RelPath): void {
    if (isWithin(dir, STATE_DIR) || this.#wanted.has(dir)) return;
    this.#wanted.add(dir);
    this.#watch(dir);
  }

  /**
   * Re-add every wanted dir. A different wd means the name now leads to another inode: the dir is moved to
   * the new watch and the old one is removed. A dir that is gone (ENOENT...) loses its watch but stays
   * wanted. Cost: one lookup per dir (on a network mount one round trip each; re-adding 5k sshfs watches
   * takes ~45 ms when cached). Returns counts for the log.
   */
  refresh(): { repointed: number; dropped: number; added: number } {
    const counts = { repointed: 0, dropped: 0, added: 0 };
    for (const d of this.#wanted) {
      const before = this.#dirWd.get(d);
      const after = this.#watch(d);
      if (after === before) continue;
      if (after === undefined) {
        if (before !== undefined) counts.dropped++;
      } else if (before === undefined) counts.added++;
      else counts.repointed++;
    }
    return counts;
  }

  unref(): void {
    this.#ino.unref();
  }

  /** Removes every watch; no callback runs afterwards. */
  close(): void {
    this.#ino.close();
    this.#dirWd.clear();
    this.#wdDirs.clear();
  }

  #abs(dir: RelPath): string {
    return dir === '' ? this.#root : `${this.#root}/${dir}`;
  }

  /** Add or re-add the watch for `dir`; its wd, or undefined (and no watch) if that failed. */
  #watch(dir: RelPath): number | undefined {
    // Past the limit, watched dirs are still re-checked (same inode: no new watch needed), new ones skipped.
    if (this.#ino.closed || (this.#limited && !this.#dirWd.has(dir))) return undefined;
    let wd: number;
    try {
      wd = this.#ino.add(this.#abs(dir), EVENTS | IN_ONLYDIR | (dir === '' ? 0 : IN_DONT_FOLLOW));
    } catch (e) {
      this.#detach(dir);
      if ((e as { code?: unknown }).code === 'ENOSPC' && !this.#limited) this.#hitLimit();
      return undefined; // ENOENT, ENOTDIR, EACCES, a dead mount...: unwatched until a later refresh or setDirs
    }
    this.#unmountReported = false;
    const old = this.#dirWd.get(dir);
    if (old === wd) return wd;
    if (old !== undefined) this.#detach(dir);
    this.#dirWd.set(dir, wd);
    let set = this.#wdDirs.get(wd);
    if (set === undefined) this.#wdDirs.set(wd, (set = new Set()));
    set.add(dir);
    return wd;
  }

  /** Forget `dir`'s watch; remove it from the kernel when no other dir shares it. */
  #detach(dir: RelPath): void {
    const wd = this.#dirWd.get(dir);
    if (wd === undefined) return;
    this.#dirWd.delete(dir);
    const set = this.#wdDirs.get(wd);
    set?.delete(dir);
    if (set !== undefined && set.size > 0) return;
    this.#wdDirs.delete(wd);
    if (!this.#ino.closed) this.#ino.remove(wd);
  }

  #hitLimit(): void {
    this.#limited = true;
    const missing = [...this.#wanted].filter((d) => !this.#dirWd.has(d)).length;
    this.#handlers.onLimit?.(
      `inotify watch limit reached (${watchLimitText()}, shared by all programs of this user): ` +
        `${this.#dirWd.size} remote folders are watched, ${missing} are not and fall back to the slower /proc scan, ` +
        `which can miss short opens. Raise the limit, e.g. 'sudo sysctl fs.inotify.max_user_watches=524288', ` +
        `and restart.`,
    );
  }

  #onEvent(ev: InotifyEvent): void {
    const mask = ev.mask;
    if (mask & IN_IGNORED) {
      // The kernel dropped the watch (dir deleted, fs unmounted, or our own remove()).
      const dirs = this.#wdDirs.get(ev.wd);
      if (dirs === undefined) return;
      for (const d of dirs) this.#dirWd.delete(d);
      this.#wdDirs.delete(ev.wd);
      return;
    }
    if (mask & IN_UNMOUNT) {
      if (!this.#unmountReported) {
        this.#unmountReported = true;
        this.#handlers.onUnmount?.();
      }
      return;
    }
    if (mask & IN_ISDIR || ev.name === null) return;
    const kind: AccessKind | undefined =
      mask & IN_OPEN ? 'open' : mask & IN_CLOSE_WRITE ? 'close-write' : undefined;
    if (kind === undefined) return;
    const dirs = this.#wdDirs.get(ev.wd);
    if (dirs === undefined) return; // a watch removed while its events were queued
    const name = ev.name.toString('latin1');
    for (const d of dirs) {
      if (d === '' && name === STATE_DIR) continue;
      this.#handlers.onAccess(joinPath(d, name), kind);
    }
  }
}
