// Linux inotify through the in-repo addon (native/inotify_addon.c): constants, the event parser, a small wrapper.
import fs from 'node:fs';
import os from 'node:os';
import { display } from '../core/paths.js';
import { nativeAddon, nativeAddonError, type Addon } from '../native-addon.js';

// Event bits (<sys/inotify.h>).
export const IN_ACCESS = 0x00000001;
export const IN_MODIFY = 0x00000002;
export const IN_ATTRIB = 0x00000004;
export const IN_CLOSE_WRITE = 0x00000008;
export const IN_CLOSE_NOWRITE = 0x00000010;
export const IN_OPEN = 0x00000020;
export const IN_MOVED_FROM = 0x00000040;
export const IN_MOVED_TO = 0x00000080;
export const IN_CREATE = 0x00000100;
export const IN_DELETE = 0x00000200;
export const IN_DELETE_SELF = 0x00000400;
export const IN_MOVE_SELF = 0x00000800;
// Bits only the kernel sets in events.
export const IN_UNMOUNT = 0x00002000;
export const IN_Q_OVERFLOW = 0x00004000;
export const IN_IGNORED = 0x00008000;
export const IN_ISDIR = 0x40000000;
// Bits only for inotify_add_watch.
export const IN_ONLYDIR = 0x01000000;
export const IN_DONT_FOLLOW = 0x02000000;
export const IN_EXCL_UNLINK = 0x04000000;
export const IN_MASK_CREATE = 0x10000000;
export const IN_MASK_ADD = 0x20000000;
export const IN_ONESHOT = 0x80000000;

/** One kernel event. `name` is set for events about an entry of a watched directory. */
export interface InotifyEvent {
  /** The watch descriptor; -1 for IN_Q_OVERFLOW. */
  wd: number;
  mask: number;
  /** Pairs IN_MOVED_FROM with IN_MOVED_TO; 0 otherwise. */
  cookie: number;
  /** The entry's name, exact bytes without the NUL padding: a view into the chunk (copy it to keep it). */
  name: Buffer | null;
}

/** struct inotify_event: int wd; uint32 mask; uint32 cookie; uint32 len; char name[len] (NUL-padded). */
const HEADER = 16;
const LE = os.endianness() === 'LE';

/**
 * Calls `emit` for each event in `buf[0..length)`, in order. A read() of an inotify fd returns whole events;
 * a truncated tail (never produced by the kernel) is ignored. Returns the number of events.
 */
export function parseEvents(buf: Buffer, emit: (ev: InotifyEvent) => void, length = buf.length): number {
  let off = 0;
  let count = 0;
  while (off + HEADER <= length) {
    const wd = LE ? buf.readInt32LE(off) : buf.readInt32BE(off);
    const mask = LE ? buf.readUInt32LE(off + 4) : buf.readUInt32BE(off + 4);
    const cookie = LE ? buf.readUInt32LE(off + 8) : buf.readUInt32BE(off + 8);
    const len = LE ? buf.readUInt32LE(off + 12) : buf.readUInt32BE(off + 12);
    const end = off + HEADER + len;
    if (end > length) break;
    let name: Buffer | null = null;
    if (len > 0) {
      const nul = buf.indexOf(0, off + HEADER);
      name = buf.subarray(off + HEADER, nul < 0 || nul > end ? end : nul);
    }
    emit({ wd, mask, cookie, name });
    count++;
    off = end;
  }
  return count;
}

export { ADDON_RELATIVE_PATH } from '../native-addon.js';

export interface InotifyHandlers {
  /** Every event except IN_Q_OVERFLOW. Runs on the event loop: keep it cheap and synchronous. */
  onEvent(ev: InotifyEvent): void;
  /** The kernel queue overflowed (max_queued_events): events were dropped. */
  onOverflow?(): void;
}

/**
 * One inotify instance. Its watches live until remove() or close(), or until the kernel drops them (it then
 * sends IN_IGNORED for the wd). If a handler throws, the remaining events of the same chunk are still
 * delivered, then the first error is rethrown and reaches process 'uncaughtException' (the default: the
 * process prints it and exits); reading continues on the next loop iteration if the process survives.
 */
export class Inotify {
  /** True if the addon loaded; when false, use the /proc fallback (see access-proc.ts). */
  static available(): boolean {
    return nativeAddon() !== undefined;
  }

  /** Why the addon did not load, for the log; undefined when it did. */
  static loadError(): unknown {
    return nativeAddonError();
  }

  readonly #addon: Addon;
  readonly #handle: object;
  #closed = false;

  /** Throws if the addon is not available, or as inotify_init1 does (EMFILE: max_user_instances reached). */
  constructor(handlers: InotifyHandlers) {
    const a = nativeAddon();
    if (a === undefined) throw new Error('inotify addon not available', { cause: nativeAddonError() });
    this.#addon = a;
    const { onEvent, onOverflow } = handlers;
    const failures: unknown[] = [];
    const dispatch = (ev: InotifyEvent): void => {
      if (this.#closed) return; // close() from a handler: drop the rest of the chunk
      try {
        if (ev.mask & IN_Q_OVERFLOW) onOverflow?.();
        else onEvent(ev);
      } catch (e) {
        failures.push(e);
      }
    };
    this.#handle = a.open((chunk) => {
      parseEvents(chunk, dispatch);
      if (failures.length === 0) return;
      const first = failures[0];
      failures.length = 0;
      throw first;
    });
  }

  get closed(): boolean {
    return this.#closed;
  }

  /**
   * Adds or replaces (same inode: same wd, new mask) a watch; returns its wd. A string path is a "binary"
   * string (one char per byte, see core/paths.ts). Throws a Node-style error: .code 'ENOENT', 'ENOTDIR'
   * (IN_ONLYDIR), 'EACCES', 'ENOSPC' (max_user_watches reached), ..., .path set.
   */
  add(p: Buffer | string, mask: number): number {
    const bytes = typeof p === 'string' ? Buffer.from(p, 'latin1') : p;
    if (bytes.includes(0)) throw new TypeError('inotify: a path cannot contain a NUL byte');
    const z = Buffer.allocUnsafe(bytes.length + 1);
    bytes.copy(z);
    z[bytes.length] = 0;
    try {
      return this.#addon.addWatch(this.#handle, z, mask);
    } catch (e) {
      if (e instanceof Error) {
        Object.assign(e, { path: bytes });
        e.message += ` '${display(bytes.toString('latin1'))}'`;
      }
      throw e;
    }
  }

  /** Removes a watch (the kernel then sends IN_IGNORED for it). False if the wd was already gone. */
  remove(wd: number): boolean {
    try {
      this.#addon.rmWatch(this.#handle, wd);
      return true;
    } catch (e) {
      if ((e as { code?: unknown }).code === 'EINVAL') return false;
      throw e;
    }
  }

  /** Let the process exit while this instance is open. */
  unref(): void {
    this.#addon.unref(this.#handle);
  }

  ref(): void {
    this.#addon.ref(this.#handle);
  }

  /** Closes the fd and every watch; no handler runs afterwards. Idempotent, safe from inside a handler. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#addon.close(this.#handle);
  }
}

/** The per-user watch limit; inotify_add_watch fails with ENOSPC past it. */
export const MAX_USER_WATCHES_FILE = '/proc/sys/fs/inotify/max_user_watches';
/** The same limit as set for this user namespace (a container may set it lower). */
const USERNS_WATCHES_FILE = '/proc/sys/user/max_inotify_watches';

function readNumber(file: string): number | undefined {
  try {
    const n = Number(fs.readFileSync(file, 'latin1').trim());
    return Number.isFinite(n) ? n : undefined;
  } catch {
    return undefined;
  }
}

/** "/proc/sys/fs/inotify/max_user_watches = N", plus the user namespace's lower limit if there is one. */
export function watchLimitText(): string {
  const global = readNumber(MAX_USER_WATCHES_FILE);
  const userns = readNumber(USERNS_WATCHES_FILE);
  let text = `${MAX_USER_WATCHES_FILE} = ${global ?? 'unknown'}`;
  if (userns !== undefined && (global === undefined || userns < global))
    text += `; ${USERNS_WATCHES_FILE} = ${userns}`;
  return text;
}
