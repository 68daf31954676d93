// The in-repo native addon (native/*.c, built by node-gyp on install): inotify and fresh remote attributes.
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

/** What the addon exports (see native/inotify_addon.c and native/fresh_stat.c). */
export interface Addon {
  open(cb: (chunk: Buffer) => void): object;
  addWatch(handle: object, path: Buffer, mask: number): number;
  rmWatch(handle: object, wd: number): void;
  ref(handle: object): void;
  unref(handle: object): void;
  close(handle: object): void;
  freshStat(path: Buffer): Promise<FreshStats>;
  getXattr(path: Buffer, name: string): Buffer | null;
  setXattr(path: Buffer, name: string, value: Buffer): void;
}

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
    for (const fn of ['open', 'addWatch', 'rmWatch', 'ref', 'unref', 'close', 'freshStat'] as const) {
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
