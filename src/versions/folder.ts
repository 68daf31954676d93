// One folder of the versions trees of both sides, read together: the versions of the paths in a folder of
// the pair, grouped by path, and the subfolders that hold versions of deeper paths. For listing what was
// deleted and restoring folders, one folder at a time (never a whole tree in memory).
import type { Dirent } from 'node:fs';
import fsp from 'node:fs/promises';
import { parseVersionName } from '../core/names.js';
import { joinPath } from '../core/paths.js';
import type { RelPath, Side } from '../core/types.js';
import { absOf } from '../fsops/entry.js';
import { isAbsent } from '../fsops/fserr.js';
import { mapLimit } from '../limit.js';
import { newerFirst, versionInfo, versionsFolderOf, type VersionInfo } from './versions.js';

/** lstat calls in flight at once while a folder is read (round trips on a mount). */
const LSTAT_PARALLEL = 32;

/** A version found in a versions folder, with the side and root it is in and the path it is a version of. */
export interface FoundVersion {
  side: Side;
  root: string;
  /** The path it is a version of (its name possibly shortened, as keepVersion shortens long names). */
  original: RelPath;
  v: VersionInfo;
}

export interface VersionsFolder {
  /** The versions of each path of the folder, newest first. */
  byPath: Map<RelPath, FoundVersion[]>;
  /** Subfolders (names) on either side that hold versions of paths below. */
  folders: string[];
}

/** The entries of the versions folder of `dir` in `root`; none if there is no such folder. */
export async function readVersionsDir(root: string, dir: RelPath): Promise<Dirent<Buffer>[]> {
  try {
    return await fsp.readdir(absOf(root, versionsFolderOf(dir)), { withFileTypes: true, encoding: 'buffer' });
  } catch (e) {
    if (isAbsent(e)) return [];
    throw e;
  }
}

/** Every folder of the versions trees at and below `dir` on both sides, depth first, read one at a time. */
export async function* versionFolders(
  roots: Record<Side, string>,
  dir: RelPath,
): AsyncGenerator<VersionsFolder> {
  const folder = await readVersionsFolder(roots, dir);
  yield folder;
  for (const name of folder.folders) yield* versionFolders(roots, joinPath(dir, name));
}

/** The versions folder of `dir` on both sides; a side without one has nothing in it. */
export async function readVersionsFolder(roots: Record<Side, string>, dir: RelPath): Promise<VersionsFolder> {
  const byPath = new Map<RelPath, FoundVersion[]>();
  const folders = new Set<string>();
  const vdir = versionsFolderOf(dir);
  for (const side of ['local', 'remote'] as const) {
    const root = roots[side];
    const names = await readVersionsDir(root, dir);
    const found = await mapLimit(names, LSTAT_PARALLEL, async (d): Promise<FoundVersion | undefined> => {
      const name = d.name.toString('latin1');
      const parsed = parseVersionName(name);
      if (parsed === undefined) {
        if (d.isDirectory()) folders.add(name);
        return undefined;
      }
      const path = joinPath(vdir, name);
      const st = await fsp.lstat(absOf(root, path)).catch((e: unknown) => {
        if (isAbsent(e)) return undefined;
        throw e;
      });
      if (st === undefined) return undefined;
      return { side, root, original: joinPath(dir, parsed.original), v: versionInfo(path, parsed, st) };
    });
    for (const f of found) {
      if (f === undefined) continue;
      const list = byPath.get(f.original);
      if (list === undefined) byPath.set(f.original, [f]);
      else list.push(f);
    }
  }
  for (const list of byPath.values()) list.sort(newerFirst);
  return { byPath, folders: [...folders].sort() };
}
