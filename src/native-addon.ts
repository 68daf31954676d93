// The in-repo native addon (native/*.c, built by node-gyp on install): inotify, fresh remote attributes,
// fanotify permission events and extended attributes.
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

/** Attributes read past a network mount's caches (native/fresh_stat.c). */
export interface FreshStats {
  mode: number;
  size: number;
  mtimeSec: number;
  mtimeNsec: number;
}

/** What the addon exports (see native/inotify_addon.c, fresh_stat.c, fanotify.c and xattr.c). */
export interface Addon {
  open(cb: (chunk: Buffer) => void): object;
  addWatch(handle: object, path: Buffer, mask: number): number;
  rmWatch(handle: object, wd: number): void;
  ref(handle: object): void;
  unref(handle: object): void;
  close(handle: object): void;
  freshStat(path: Buffer): Promise<FreshStats>;
  /** fanotify_init(initFlags | FAN_NONBLOCK | FAN_CLOEXEC, eventFlags); `cb` gets whole events. */
  fanOpen(initFlags: number, eventFlags: number, cb: (chunk: Buffer) => void): object;
  /** fanotify_mark; `path` ends in its only NUL byte, or null to mark what `dirfd` refers to. */
  fanMark(handle: object, flags: number, mask: number, dirfd: number, path: Buffer | null): void;
  fanRespond(handle: object, fd: number, response: number): void;
  fanFd(handle: object): number;
  fanRef(handle: object): void;
  fanUnref(handle: object): void;
  fanClose(handle: object): void;
  /** Never follows a symlink; null when the file has no such attribute. */
  getXattr(path: Buffer, name: string): Buffer | null;
  fgetXattr(fd: number, name: string): Buffer | null;
  setXattr(path: Buffer, name: string, value: Buffer): void;
  /** A missing attribute is not an error. */
  removeXattr(path: Buffer, name: string): void;
  fremoveXattr(fd: number, name: string): void;
  /** Whether any byte of the (local) file is data rather than a hole. */
  holdsData(path: Buffer): boolean;
}

const REQUIRED = [
  'open',
  'addWatch',
  'rmWatch',
  'ref',
  'unref',
  'close',
  'freshStat',
  'fanOpen',
  'fanMark',
  'fanRespond',
  'fanFd',
  'fanRef',
  'fanUnref',
  'fanClose',
  'getXattr',
  'fgetXattr',
  'setXattr',
  'removeXattr',
  'fremoveXattr',
  'holdsData',
] as const;

export const ADDON_RELATIVE_PATH = 'build/Release/inotify_addon.node';

let addon: Addon | undefined;
let loadError: unknown;
let loaded = false;

/** The package root: the nearest directory above this module that holds package.json (src/ or dist/src/). */
function packageRoot(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (;;) {
    if (fs.existsSync(path.join(dir, 'package.json'))) return dir;
    const up = path.dirname(dir);
    if (up === dir) throw new Error('native addon: no package.json above ' + fileURLToPath(import.meta.url));
    dir = up;
  }
}

/** The addon, loaded once; undefined if it is not built (see nativeAddonError for why). */
export function nativeAddon(): Addon | undefined {
  if (loaded) return addon;
  loaded = true;
  try {
    const file = path.join(packageRoot(), ADDON_RELATIVE_PATH);
    const mod = createRequire(import.meta.url)(file) as Partial<Addon>;
    for (const fn of REQUIRED) {
      if (typeof mod[fn] !== 'function') throw new Error(`native addon at ${file} lacks ${fn}()`);
    }
    addon = mod as Addon;
  } catch (e) {
    loadError = e;
  }
  return addon;
}

/** Why the addon did not load, for the log; undefined when it did. */
export function nativeAddonError(): unknown {
  nativeAddon();
  return loadError;
}
