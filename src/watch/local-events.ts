// Prompt local changes: inotify on every directory of the local root, folded into one debounced onChange()
// with the paths that changed.
import { lstatSync } from 'node:fs';
import fsp from 'node:fs/promises';
import { joinPath, STATE_DIR, TEMP_PREFIX } from '../core/paths.js';
import type { RelPath } from '../core/types.js';
import {
  IN_ATTRIB,
  IN_CLOSE_WRITE,
  IN_CREATE,
  IN_DELETE,
  IN_DONT_FOLLOW,
  IN_IGNORED,
  IN_ISDIR,
  IN_MOVED_FROM,
  IN_MOVED_TO,
  IN_ONLYDIR,
  IN_OPEN,
  IN_UNMOUNT,
  Inotify,
  type InotifyEvent,
  watchLimitText,
} from './inotify.js';

export interface LocalChangeOptions {
  /** onChange runs once no event came for this long (default 100 ms); calls are at least this far apart. */
  quietMs?: number;
  /** ...or at the latest this long after the first event, even if events keep coming (default 1000 ms). */
  maxDelayMs?: number;
  /** max_user_watches is exhausted: called once; later dirs are not watched (the periodic scan still runs). */
  onLimit?(message: string): void;
  /** A file in L was opened (any process, this one too). Given, IN_OPEN is watched; opens are not changes. */
  onOpen?(rel: RelPath): void;
  /** True for paths the caller itself is changing: their events do not call onChange. */
  isOwn?(rel: RelPath): boolean;
}

/** What changed: these paths (a folder stands for everything below it), or possibly anything ('all'). */
export type LocalChanges = RelPath[] | 'all';

/** A rename inside L the kernel reported as one (paired move events): `from` is now `to`. */
export interface LocalRename {
  from: RelPath;
  to: RelPath;
}

/** Move events waiting for their pair beyond this many: the oldest are dropped (a move out of L has none). */
const MAX_UNPAIRED = 1024;

/** More paths than this in one batch are reported as 'all': a whole pass is cheaper, and memory stays bounded. */
const MAX_PATHS = 5000;

const EVENTS = IN_CLOSE_WRITE | IN_MOVED_TO | IN_MOVED_FROM | IN_CREATE | IN_DELETE | IN_ATTRIB;
/**
 * Watches L recursively except L/.lazysync, and calls onChange(paths) after changes settle. Promises: a
 * write-and-close, create, delete, rename or chmod in any watched dir leads to one onChange() within
 * maxDelayMs that names the path (or an ancestor, or 'all' after a queue overflow). A regular file being
 * created is named when it is closed after writing (IN_CLOSE_WRITE), not at its creation, so a file still
 * being written is not reported half-done. Not promised: changes inside a dir created or moved in before its
 * watch was added (the dir itself is named, and stands for its contents), writes that never close the file
 * (no IN_MODIFY), hard links made to existing files, and anything after the watch limit; the periodic scan
 * covers those. Symlinks (placeholders included) are never followed.
 */
export class LocalChangeWatcher {
  readonly #root: string;
  readonly #onChange: (changes: LocalChanges, renames: LocalRename[]) => void;
  readonly #quietMs: number;
  readonly #maxDelayMs: number;
  readonly #onLimit: ((message: string) => void) | undefined;
  readonly #onOpen: ((rel: RelPath) => void) | undefined;
  readonly #isOwn: ((rel: RelPath) => boolean) | undefined;
  readonly #mask: number;
  readonly #ino: Inotify;
  readonly #wdPath = new Map<number, RelPath>();
  readonly #pathWd = new Map<RelPath, number>();
  #limited = false;
  /** Dirs to (re)walk, and whether the walker is running. */
  #walkQueue: RelPath[] = [];
  #walking: Promise<void> | undefined;
  /** Paths changed since the last onChange; undefined once anything may have changed. */
  #paths: Set<RelPath> | undefined = new Set();
  /** IN_MOVED_FROM paths by cookie, until their IN_MOVED_TO comes; renames paired since the last onChange. */
  readonly #movedFrom = new Map<number, RelPath>();
  #renames: LocalRename[] = [];
  #firstEvent = 0;
  #lastEvent = 0;
  #timer: NodeJS.Timeout | undefined;
  #unref = false;
  #closed = false;

  /** `root` is L as a binary string. Throws if the inotify addon is not available or inotify_init1 fails. */
  constructor(
    root: string,
    onChange: (changes: LocalChanges, renames: LocalRename[]) => void,
    opts: LocalChangeOptions = {},
  ) {
    this.#root = root.length > 1 && root.endsWith('/') ? root.slice(0, -1) : root;
    this.#onChange = onChange;
    this.#quietMs = opts.quietMs ?? 100;
    this.#maxDelayMs = Math.max(opts.maxDelayMs ?? 1000, this.#quietMs);
    this.#onLimit = opts.onLimit;
    this.#onOpen = opts.onOpen;
    this.#isOwn = opts.isOwn;
    this.#mask = opts.onOpen === undefined ? EVENTS : EVENTS | IN_OPEN;
    this.#ino = new Inotify({ onEvent: (ev) => this.#onEvent(ev), onOverflow: () => this.#onOverflow() });
  }

  /** Adds watches on the whole tree; resolves when done. Events are delivered from the first watch on. */
  start(): Promise<void> {
    return this.#walk('');
  }

  /** Number of watched directories. */
  get watched(): number {
    return this.#pathWd.size;
  }

  get limited(): boolean {
    return this.#limited;
  }

  /** Resolves when no walk of new directories is in progress (for tests and orderly shutdown). */
  async idle(): Promise<void> {
    while (this.#walking !== undefined) await this.#walking;
  }

  unref(): void {
    this.#unref = true;
    this.#ino.unref();
    this.#timer?.unref();
  }

  close(): void {
    this.#closed = true;
    this.#ino.close();
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#walkQueue = [];
    this.#wdPath.clear();
    this.#pathWd.clear();
  }

  #abs(rel: RelPath): Buffer {
    return Buffer.from(rel === '' ? this.#root : `${this.#root}/${rel}`, 'latin1');
  }

  /** Queue `rel` and everything below it for watching; one walker runs at a time. */
  #walk(rel: RelPath): Promise<void> {
    this.#walkQueue.push(rel);
    this.#walking ??= this.#runWalks();
    return this.#walking;
  }

  async #runWalks(): Promise<void> {
    try {
      await this.#drainWalks();
    } finally {
      this.#walking = undefined; // synchronously after the queue was found empty: no push can be lost
    }
  }

  async #drainWalks(): Promise<void> {
    // Depth first with an explicit stack; each dir is watched before it is listed, so an entry created
    // during the listing produces an event.
    for (let rel = this.#walkQueue.pop(); rel !== undefined; rel = this.#walkQueue.pop()) {
      if (this.#closed || this.#limited || !this.#watch(rel)) continue;
      let entries: { name: Buffer; isDirectory(): boolean }[];
      try {
        entries = await fsp.readdir(this.#abs(rel), { encoding: 'buffer', withFileTypes: true });
      } catch {
        continue; // gone or unreadable meanwhile
      }
      for (const e of entries) {
        if (!e.isDirectory()) continue;
        const name = e.name.toString('latin1');
        if (rel === '' && name === STATE_DIR) continue;
        this.#walkQueue.push(joinPath(rel, name));
      }
    }
  }

  #watch(rel: RelPath): boolean {
    let wd: number;
    try {
      wd = this.#ino.add(this.#abs(rel), this.#mask | IN_ONLYDIR | (rel === '' ? 0 : IN_DONT_FOLLOW));
    } catch (e) {
      if ((e as { code?: unknown }).code === 'ENOSPC' && !this.#limited) {
        this.#limited = true;
        this.#onLimit?.(
          `inotify watch limit reached (${watchLimitText()}) after ${this.#pathWd.size} local folders: ` +
            `changes in the others are found by the periodic scan only. Raise the limit, e.g. ` +
            `'sudo sysctl fs.inotify.max_user_watches=524288', and restart.`,
        );
      }
      return false;
    }
    // The same wd again: a dir moved inside L keeps its watch; record its new path.
    const old = this.#wdPath.get(wd);
    if (old !== undefined && old !== rel && this.#pathWd.get(old) === wd) this.#pathWd.delete(old);
    this.#wdPath.set(wd, rel);
    this.#pathWd.set(rel, wd);
    return true;
  }

  /** Drop the watches of `rel` and below (a dir moved away: its watches would follow it out of L). */
  #unwatchTree(rel: RelPath): void {
    const prefix = `${rel}/`;
    for (const [p, wd] of this.#pathWd) {
      if (p !== rel && !p.startsWith(prefix)) continue;
      this.#pathWd.delete(p);
      this.#wdPath.delete(wd);
      this.#ino.remove(wd);
    }
  }

  #onEvent(ev: InotifyEvent): void {
    const mask = ev.mask;
    if (mask & IN_IGNORED) {
      const p = this.#wdPath.get(ev.wd);
      this.#wdPath.delete(ev.wd);
      if (p !== undefined && this.#pathWd.get(p) === ev.wd) this.#pathWd.delete(p);
      return;
    }
    const dir = this.#wdPath.get(ev.wd);
    if (dir === undefined || mask & IN_UNMOUNT) return;
    const name = ev.name === null ? null : ev.name.toString('latin1');
    if (dir === '' && name === STATE_DIR) return;
    if (mask & IN_OPEN) {
      if (!(mask & IN_ISDIR) && name !== null) this.#onOpen?.(joinPath(dir, name));
      return;
    }
    if (mask & IN_ISDIR && name !== null) {
      const rel = joinPath(dir, name);
      if (mask & IN_MOVED_FROM) this.#unwatchTree(rel);
      if (mask & (IN_CREATE | IN_MOVED_TO)) void this.#walk(rel);
    }
    if (name !== null && (name.startsWith(TEMP_PREFIX) || this.#isOwn?.(joinPath(dir, name)) === true))
      return;
    const rel = name === null ? dir : joinPath(dir, name);
    if (mask & (IN_MOVED_FROM | IN_MOVED_TO) && ev.cookie !== 0) this.#pairMove(mask, ev.cookie, rel);
    // A new regular file is reported when its writer closes it (IN_CLOSE_WRITE follows), not half-written.
    if (mask & IN_CREATE && !(mask & IN_ISDIR) && this.#isRegularFile(rel)) return;
    this.#changed(rel);
  }

  #pairMove(mask: number, cookie: number, rel: RelPath): void {
    if (mask & IN_MOVED_FROM) {
      if (this.#movedFrom.size >= MAX_UNPAIRED)
        this.#movedFrom.delete(this.#movedFrom.keys().next().value as number);
      this.#movedFrom.set(cookie, rel);
      return;
    }
    const from = this.#movedFrom.get(cookie);
    if (from === undefined) return;
    this.#movedFrom.delete(cookie);
    if (this.#renames.length < MAX_PATHS) this.#renames.push({ from, to: rel });
  }

  #isRegularFile(rel: RelPath): boolean {
    try {
      return lstatSync(this.#abs(rel)).isFile();
    } catch {
      return false; // gone already: its deletion follows
    }
  }

  #onOverflow(): void {
    // Events were lost, new dirs among them: re-walk (adding an existing watch is a no-op) and run a pass.
    if (!this.#closed) void this.#walk('');
    this.#changed(undefined);
  }

  /**
   * Notes `rel` as changed (undefined: anything may have changed). Debounce: fire quietMs after the last
   * event, or maxDelayMs after the first, whichever is earlier.
   */
  #changed(rel: RelPath | undefined): void {
    if (rel === undefined || (this.#paths !== undefined && this.#paths.size >= MAX_PATHS))
      this.#paths = undefined;
    else this.#paths?.add(rel);
    const now = performance.now();
    this.#lastEvent = now;
    if (this.#timer !== undefined) return;
    this.#firstEvent = now;
    this.#arm(this.#quietMs);
  }

  #arm(ms: number): void {
    this.#timer = setTimeout(() => this.#due(), ms);
    if (this.#unref) this.#timer.unref();
  }

  #due(): void {
    this.#timer = undefined;
    if (this.#closed) return;
    const now = performance.now();
    const due = Math.min(this.#lastEvent + this.#quietMs, this.#firstEvent + this.#maxDelayMs);
    if (now + 1 < due) {
      this.#arm(due - now);
      return;
    }
    const changes = this.#paths === undefined ? 'all' : [...this.#paths];
    const renames = this.#renames;
    this.#paths = new Set();
    this.#renames = [];
    this.#onChange(changes, renames);
  }
}
