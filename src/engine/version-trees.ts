// Versions read as trees, one folder at a time on both sides: what was deleted (`lazysync deleted`), and a
// folder put back as it was (`lazysync restore FOLDER [--at]`).
import { display, joinPath } from '../core/paths.js';
import { sameContent } from '../core/changes.js';
import type { RelPath, Side } from '../core/types.js';
import { LazysyncError } from '../errors.js';
import { lstatEntry } from '../fsops/entry.js';
import { readVersionsFolder, versionFolders, type FoundVersion } from '../versions/folder.js';
import { versionId, versionKey, versionsFolderOf } from '../versions/versions.js';
import type { Logger } from '../log.js';
import { fileEntryOf, versionAt, versionToRestore, versionsOnBothSides } from './history.js';
import type { VersionSource } from './lifecycle.js';
import type { DeletedListing, RestoredFile, RestoreResult } from './runner-api.js';

/** A restore answer lists at most this many files; the count covers them all. */
const MAX_LISTED = 1000;

export interface TreeHost {
  /** The roots of both sides. */
  roots: Record<Side, string>;
  /** Puts a version back at `path` in the local folder (Lifecycle.restore). */
  restore(path: RelPath, version: VersionSource): Promise<void>;
  log: Logger;
}

/** `restore PATH [--at]`: a folder's files (restoreFolder), or one file's version. */
export async function restorePath(
  host: TreeHost,
  path: RelPath,
  at: string | undefined,
): Promise<RestoreResult> {
  if (await isFolderRestore(host.roots, path)) {
    const folder = await restoreFolder(host, path, at);
    host.log.info(
      `restored ${folder.restored} file(s) in ${display(path) || 'the pair'}${at === undefined ? '' : ` as they were at ${at}`}`,
    );
    return { folder };
  }
  const chosen = await versionToRestore(host.roots, path, at);
  await host.restore(path, { root: chosen.root, rel: chosen.v.path, entry: chosen.entry });
  host.log.info(`restored ${display(path)} from its ${chosen.side} version ${versionId(chosen.v)}`);
  return { side: chosen.side, stamp: chosen.v.stamp, version: versionId(chosen.v) };
}

async function hasVersionsFolder(roots: Record<Side, string>, dir: RelPath): Promise<boolean> {
  for (const side of ['local', 'remote'] as const) {
    if ((await lstatEntry(roots[side], versionsFolderOf(dir), side))?.kind === 'dir') return true;
  }
  return false;
}

/** What was deleted at or below `path` and has versions on either side, newest first. */
export async function deletedBelow(roots: Record<Side, string>, path: RelPath): Promise<DeletedListing[]> {
  const out: DeletedListing[] = [];
  // Anything there now (a placeholder too) was not deleted.
  const gone = async (rel: RelPath): Promise<boolean> =>
    (await lstatEntry(roots.local, rel, 'local')) === undefined;
  if (path !== '' && (await gone(path))) {
    const own = await versionsOnBothSides(roots, path);
    if (own.length > 0) out.push(fileListing(path, own));
  }
  const visit = async (dir: RelPath): Promise<void> => {
    const folder = await readVersionsFolder(roots, dir);
    for (const [original, versions] of folder.byPath) {
      if (await gone(original)) out.push(fileListing(original, versions));
    }
    for (const name of folder.folders) {
      const sub = joinPath(dir, name);
      if (await gone(sub)) out.push(await folderListing(roots, sub));
      else await visit(sub);
    }
  };
  await visit(path);
  return out.sort((a, b) => (a.version < b.version ? 1 : a.version > b.version ? -1 : 0));
}

function fileListing(path: RelPath, newestFirst: FoundVersion[]): DeletedListing {
  const newest = newestFirst[0] as FoundVersion;
  return {
    path: display(path),
    kind: newest.v.kind === 'dir' ? 'folder' : newest.v.kind,
    version: versionId(newest.v),
    side: newest.side,
    size: newest.v.size,
    files: 1,
  };
}

/** A deleted folder in one line: its files' newest versions, counted and summed. */
async function folderListing(roots: Record<Side, string>, dir: RelPath): Promise<DeletedListing> {
  let files = 0;
  let size = 0;
  let newestKey = '';
  let version = '';
  const sides = new Set<Side>();
  for await (const folder of versionFolders(roots, dir)) {
    for (const versions of folder.byPath.values()) {
      const newest = versions[0] as FoundVersion;
      files++;
      size += newest.v.size;
      sides.add(newest.side);
      if (versionKey(newest.v) > newestKey) {
        newestKey = versionKey(newest.v);
        version = versionId(newest.v);
      }
    }
  }
  const side = sides.size === 2 ? 'both' : sides.has('remote') ? 'remote' : 'local';
  return { path: display(dir), kind: 'folder', version, side, size, files };
}

/**
 * Whether `path` is restored as a folder: the whole pair, a folder that is there now, or a path with a
 * versions folder that is not a file now.
 */
async function isFolderRestore(roots: Record<Side, string>, path: RelPath): Promise<boolean> {
  if (path === '') return true;
  const now = await lstatEntry(roots.local, path, 'local');
  return now === undefined ? hasVersionsFolder(roots, path) : now.kind === 'dir';
}

/**
 * Puts back the files of the folder `dir`: without `at`, each file that is gone now, from its newest
 * version; with `at` (a version key), each file as it was then (history.ts versionAt; a file that has not
 * changed since is left as it is). A file that already holds the chosen content is left too. Only file
 * versions are restored. Files made since are left where they are: a restore never deletes.
 */
async function restoreFolder(
  host: TreeHost,
  dir: RelPath,
  at: string | undefined,
): Promise<{ restored: number; files: RestoredFile[] }> {
  const { roots } = host;
  if (!(await hasVersionsFolder(roots, dir))) {
    throw new LazysyncError('usage', `${display(dir) || 'the pair'} has no versions of anything in it`);
  }
  const files: RestoredFile[] = [];
  let restored = 0;
  for await (const folder of versionFolders(roots, dir)) {
    for (const [original, versions] of folder.byPath) {
      const current = await lstatEntry(roots.local, original, 'local');
      const chosen =
        at === undefined
          ? current === undefined
            ? versions.find((v) => v.v.kind === 'file')
            : undefined
          : versionAt(versions, at);
      const entry = chosen && fileEntryOf(chosen.v);
      // A local file that already holds that content (the quick check of a pass) is left as it is.
      if (chosen === undefined || entry === undefined) continue;
      if (current?.kind === 'file' && sameContent(current, entry) === true) continue;
      try {
        await host.restore(original, { root: chosen.root, rel: chosen.v.path, entry });
      } catch (e) {
        // The version was pruned, or the local file changed, since the folder was read: left as it is.
        if (e instanceof LazysyncError && e.code === 'changed') continue;
        throw e;
      }
      restored++;
      if (files.length < MAX_LISTED) {
        files.push({ path: display(original), side: chosen.side, version: versionId(chosen.v) });
      }
    }
  }
  if (restored === 0) {
    const what = at === undefined ? 'nothing in it is missing' : `nothing in it changed at or after ${at}`;
    throw new LazysyncError('usage', `nothing to restore in ${display(dir) || 'the pair'}: ${what}`);
  }
  return { restored, files };
}
