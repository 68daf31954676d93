// One fanotify group for file placeholders: init with the best class the kernel has, marks, responses.
import fs from 'node:fs';
import os from 'node:os';
import { display } from '../core/paths.js';
import { messageOf } from '../errors.js';
import { nativeAddon, nativeAddonError, type Addon } from '../native-addon.js';
import {
  EVENT_FD_FLAGS,
  FAN_ALLOW,
  FAN_CLASS_CONTENT,
  FAN_CLASS_PRE_CONTENT,
  FAN_MARK_ADD,
  FAN_MARK_DONT_FOLLOW,
  FAN_MARK_REMOVE,
  FAN_OPEN_PERM,
  FAN_PRE_ACCESS,
  FAN_REPORT_TID,
  FAN_UNLIMITED_MARKS,
  FAN_UNLIMITED_QUEUE,
  denyResponse,
  parseFanEvents,
  type DenyErrno,
  type FanEvent,
} from './events.js';
import { HsmUnavailable, type HsmMode } from './unavailable.js';

const AT_FDCWD = -100;
const PRE_CONTENT_MASK = FAN_OPEN_PERM | FAN_PRE_ACCESS;

function codeOf(e: unknown): string | undefined {
  const c = (e as { code?: unknown } | null)?.code;
  return typeof c === 'string' ? c : undefined;
}

/** EOPNOTSUPP, which libuv names ENOTSUP (the same number on Linux): the filesystem refuses the mark. */
function refused(e: unknown): boolean {
  return codeOf(e) === 'ENOTSUP' || codeOf(e) === 'EOPNOTSUPP';
}

/** A path as the NUL-terminated bytes fanotify_mark takes. */
function cPath(p: Buffer): Buffer {
  if (p.includes(0)) throw new TypeError('fanotify: a path cannot contain a NUL byte');
  return Buffer.concat([p, Buffer.alloc(1)]);
}

export class FanGroup {
  /**
   * Opens a group and finds what `root` (a local folder, bytes) accepts: 'pre-content' (open, read, write,
   * mmap and truncate events: ext4, xfs, btrfs on 6.14+) or 'open' (only opens: older kernels, tmpfs).
   * Throws HsmUnavailable when neither works.
   */
  static open(root: Buffer, onEvents: (evs: FanEvent[]) => void): FanGroup {
    const addon = nativeAddon();
    if (addon === undefined) {
      throw new HsmUnavailable(`the native addon is not built (${messageOf(nativeAddonError())})`);
    }
    const cb = (chunk: Buffer): void => onEvents(parseFanEvents(chunk));
    const common = FAN_UNLIMITED_MARKS | FAN_UNLIMITED_QUEUE | FAN_REPORT_TID;
    let handle: object;
    let preContentClass = true;
    try {
      handle = addon.fanOpen(FAN_CLASS_PRE_CONTENT | common, EVENT_FD_FLAGS, cb);
    } catch (e) {
      if (codeOf(e) !== 'EINVAL') throw unavailable(e);
      preContentClass = false;
      try {
        handle = addon.fanOpen(FAN_CLASS_CONTENT | common, EVENT_FD_FLAGS, cb);
      } catch (e2) {
        throw unavailable(e2);
      }
    }
    const group = new FanGroup(addon, handle, preContentClass);
    try {
      group.#probe(root);
    } catch (e) {
      group.close();
      throw e;
    }
    return group;
  }

  readonly #addon: Addon;
  readonly #handle: object;
  readonly preContentClass: boolean;
  #mode: HsmMode = 'open';
  #closed = false;

  private constructor(addon: Addon, handle: object, preContentClass: boolean) {
    this.#addon = addon;
    this.#handle = handle;
    this.preContentClass = preContentClass;
  }

  get mode(): HsmMode {
    return this.#mode;
  }

  /** The events put on each placeholder. */
  get mask(): number {
    return this.#mode === 'pre-content' ? PRE_CONTENT_MASK : FAN_OPEN_PERM;
  }

  /** Marks the folder itself (no FAN_ONDIR: it raises no event) to learn what its filesystem accepts. */
  #probe(root: Buffer): void {
    const tryMark = (mask: number): boolean => {
      try {
        this.#addon.fanMark(this.#handle, FAN_MARK_ADD | FAN_MARK_DONT_FOLLOW, mask, AT_FDCWD, cPath(root));
      } catch (e) {
        if (refused(e) || codeOf(e) === 'EINVAL') return false;
        throw new HsmUnavailable(`cannot watch ${display(root.toString('latin1'))}: ${messageOf(e)}`, {
          cause: e,
        });
      }
      this.#addon.fanMark(this.#handle, FAN_MARK_REMOVE, mask, AT_FDCWD, cPath(root));
      return true;
    };
    if (this.preContentClass && tryMark(PRE_CONTENT_MASK)) this.#mode = 'pre-content';
    else if (tryMark(FAN_OPEN_PERM)) this.#mode = 'open';
    else {
      throw new HsmUnavailable(
        `the filesystem of ${display(root.toString('latin1'))} refuses fanotify permission events`,
      );
    }
  }

  /**
   * Puts the placeholder mask on the inode at `path` (resolved, never opened: no event). A filesystem
   * that refuses pre-content events on this inode (another filesystem mounted inside) gets FAN_OPEN_PERM.
   */
  mark(path: Buffer): void {
    if (!fs.lstatSync(path).isFile()) {
      throw Object.assign(new Error(`not a regular file: ${display(path.toString('latin1'))}`), {
        code: 'EINVAL',
      });
    }
    const flags = FAN_MARK_ADD | FAN_MARK_DONT_FOLLOW;
    try {
      this.#addon.fanMark(this.#handle, flags, this.mask, AT_FDCWD, cPath(path));
    } catch (e) {
      if (!refused(e) || this.mask === FAN_OPEN_PERM) throw e;
      this.#addon.fanMark(this.#handle, flags, FAN_OPEN_PERM, AT_FDCWD, cPath(path));
    }
  }

  /** Removes the placeholder mask from the inode at `path`, or the one `fd` is open on. Unmarked: no-op. */
  unmark(target: Buffer | number): void {
    const [dirfd, path] = typeof target === 'number' ? [target, null] : [AT_FDCWD, cPath(target)];
    const flags = FAN_MARK_REMOVE | (path === null ? 0 : FAN_MARK_DONT_FOLLOW);
    for (const mask of this.preContentClass ? [PRE_CONTENT_MASK, FAN_OPEN_PERM] : [FAN_OPEN_PERM]) {
      try {
        this.#addon.fanMark(this.#handle, flags, mask, dirfd, path);
        return;
      } catch (e) {
        if (codeOf(e) === 'ENOENT') return;
        if (!refused(e) && codeOf(e) !== 'EINVAL') throw e;
      }
    }
  }

  allow(fd: number): void {
    this.#addon.fanRespond(this.#handle, fd, FAN_ALLOW);
  }

  /** Denies with `errno` where the group may choose it (pre-content class), else with EPERM. */
  deny(fd: number, errno: DenyErrno = 'EIO'): void {
    this.#addon.fanRespond(this.#handle, fd, denyResponse(errno, this.preContentClass));
  }

  /** Closing the group drops every mark; the kernel allows whatever is still pending: deny it first. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#addon.fanClose(this.#handle);
  }
}

/** Why fanotify_init failed, as something a user can act on. */
function unavailable(e: unknown): HsmUnavailable {
  const code = codeOf(e);
  if (code === 'EPERM') return new HsmUnavailable('needs root (CAP_SYS_ADMIN) for fanotify', { cause: e });
  if (code === 'EINVAL' || code === 'ENOSYS') {
    return new HsmUnavailable(`kernel ${os.release()} has no fanotify permission events`, { cause: e });
  }
  return new HsmUnavailable(`fanotify cannot start: ${messageOf(e)}`, { cause: e });
}
